import streamlit as st
st.title("compute")

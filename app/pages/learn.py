import streamlit as st
st.title("learn")

"""Evidence: this project's own BLT-vs-BPE runs at matched compute (issue 15), beside the paper's figures."""

from __future__ import annotations

import streamlit as st

from app.views import evidence

st.title("Evidence")
st.markdown("BLT against a BPE baseline of the same family, trained here at matched compute: every architecture "
            "at a budget costs the same inference FLOPs per byte and is trained with the same FLOPs, data order, "
            "optimizer and schedule. Commands to reproduce each stage: README, *Evidence*.")
path = evidence.results_path()
results = evidence.load_json(path)
if results is None or not results.get("runs"):
    st.info(f"No results yet: `{path.name}` holds no trained runs. The pipeline is in place "
            "(`python -m blt_core.evidence.plan` lists the runs, `assets/evidence/commands.sh` trains them); "
            "nothing here is shown until runs have been trained and collected.")
else:
    st.subheader("Result")
    st.markdown(evidence.result_md(results))
    st.markdown(evidence.summary_md(results))
    c = st.columns(2)
    c[0].markdown("**Bits per byte against training FLOPs**")
    c[0].plotly_chart(evidence.training_figure(results), key="ev_train")
    with_entropy = c[1].toggle("Count the entropy model's FLOPs", key="ev_entropy")
    c[1].plotly_chart(evidence.inference_figure(results, with_entropy=with_entropy), key="ev_inference")
    st.subheader("Noise: how much worse on perturbed text (largest budget)")
    st.plotly_chart(evidence.noise_figure(results), key="ev_noise")
    noise = results["evalset"].get("evalset_noise") or {}
    st.caption(f"Held-out subset: {results['evalset'].get('documents')} documents, perturbed by blt_core.noise "
               f"(rate {noise.get('rate')}, seed {noise.get('seed')}). Entropy model sha256 "
               f"{results['entropy_model']['safetensors_sha256'][:12]}…")
    st.subheader("Every run")
    compact, sci = st.column_config.NumberColumn(format="compact"), st.column_config.NumberColumn(format="%.2e")
    st.dataframe(evidence.runs_table(results), hide_index=True, column_config={
        "parameters": compact, "training FLOPs": sci, "inference FLOPs/byte": compact,
        "inference FLOPs/byte incl. entropy model": compact, "bytes per patch or token": st.column_config.NumberColumn(
            format="%.2f"), **{c: st.column_config.NumberColumn(format="%.3f") for c in evidence.BPB_COLUMNS}})
    st.subheader("Per script (clean bits per byte)")
    st.dataframe(evidence.script_table(results), hide_index=True)
    if results.get("missing"):
        st.caption(f"Planned but not yet evaluated: {', '.join(results['missing'])}")

st.subheader("The paper, for comparison")
st.markdown("**Fixed inference FLOPs (Table 2's pairs, from `blt_core.flops`)**")
st.dataframe(evidence.paper_pairs(), hide_index=True)
rows, source = evidence.paper_noise()
st.markdown("**Robustness (Table 3)**")
st.dataframe(rows, hide_index=True)
st.caption(source)
st.subheader("What this toy-scale experiment can and cannot show")
st.markdown(evidence.STATEMENT)

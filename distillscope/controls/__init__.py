"""The controls: a measure or a judge counts only after passing a task it cannot fake (METHODS.md section 8).

`ladder.py` runs the control ladder of every measure (self / resample / other prompt, AUCs with their
intervals: valid, invalid or undecided; the AUCs are in `ladder_auc.py`, the result's models in
`ladder_result.py`), `ladder_texts.py` fetches the ladder's texts, `judges.py` holds
the judges' own controls (pairwise on-topic test, ICE conflict AUC) and `judge_calls.py` gives them the
real judges through the runner. Above the measures (it runs RSE, the pairwise judge and ICE's identity
statements) and below the audit, whose verdict reads its results.
"""

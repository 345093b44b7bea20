"""Values to text: pure functions of a Plan, an Outcome or a status Report; no network, no env.

text      plans and outcomes for the terminal, and JSON
markdown  plans and outcomes for pull-request comments (everything escaped)
status    `trainops status` as a table or JSON
phrases   the words and symbols the renderers share
"""

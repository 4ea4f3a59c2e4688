"""Quiz engine: paper draws, marking, policy, item analysis, attempts and the post-test pages.

The draw, marking, policy and analysis modules are pure functions over the parsed quiz.yaml
dict (the catalog stores it per module version); no Flask, no database. What a question
type is and does (marking one response, its form fields, GIFT) lives in `elearn.questions`.
See README.md in this folder for the API and the form contract.

- `draw`      draw a balanced, shuffled `Paper` and render it back from the stored order
- `marking`   read a whole post against a paper and mark the paper
- `policy`    quiz settings, starting rules, counting attempt, deadline, review
- `analysis`  Moodle-style item analysis of first attempts, CSV export
- `present`   a paper as the pages show it (each type adds its widget's data)
- `attempts`, `models`, `views`  the attempts learners take, stored, and their pages
"""

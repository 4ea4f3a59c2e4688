"""Quiz engine core: question types, paper draws, marking, policy, item analysis, GIFT.

Pure functions over the parsed quiz.yaml dict (the catalog stores it per module version);
no Flask, no database. See README.md in this folder for the API and the form contract.

- `types`     score and normalise responses per question type (the registry; base in `base`)
- `fields`    the form field names a quiz page posts
- `draw`      draw a balanced, shuffled `Paper` and render it back from the stored order
- `marking`   read a whole post against a paper and mark the paper
- `policy`    quiz settings, starting rules, counting attempt, deadline, review
- `analysis`  Moodle-style item analysis of first attempts, CSV export
- `gift`      Moodle GIFT export/import of a pool, one language at a time
"""

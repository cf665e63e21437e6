-- Build Practical: whether the docs agent documents the code between implementing and the
-- reviews (`docs` in the repository's .github/practical.yml when the feature started).
ALTER TABLE features ADD COLUMN docs boolean NOT NULL DEFAULT true;

-- Build Practical: the language the issue author writes in (an ISO 639-1 code, as the BA agent
-- reports it), in which the app writes its comments in the issue. NULL until the BA has
-- replied: the comments are then in English.
ALTER TABLE features ADD COLUMN language text;

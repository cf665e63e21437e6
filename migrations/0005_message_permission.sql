-- Build Practical: who may be heard by the BA agent.

-- The author's permission on the repository when the comment arrived ('read' when it was not
-- looked up, NULL for rows older than this column and for the app's own replies). The BA reads
-- the issue author and collaborators (triage or more) only.
ALTER TABLE messages ADD COLUMN author_permission text;

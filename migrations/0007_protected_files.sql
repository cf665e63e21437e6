-- Build Practical: changes to protected files (CI, tooling, package scripts) wait for a person.

-- The commit whose protected files wait for `/approve protected`; the pull request is not
-- marked ready while it is set.
ALTER TABLE features ADD COLUMN protected_pending text;

DROP TRIGGER users_set_email_normalized ON users;
DROP FUNCTION users_set_email_normalized();
ALTER TABLE users DROP COLUMN email_normalized;

-- Release 2026.12, expand: case-insensitive sign-in. The new column is nullable, so the running application's writes
-- keep working; a trigger fills it from whatever either application writes to email; V9 fills the rows from before.
ALTER TABLE users ADD COLUMN email_normalized text;

CREATE FUNCTION users_set_email_normalized() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.email_normalized := lower(NEW.email);
    RETURN NEW;
END $$;

CREATE TRIGGER users_set_email_normalized BEFORE INSERT OR UPDATE OF email ON users
    FOR EACH ROW EXECUTE FUNCTION users_set_email_normalized();

-- Undo of V1: the users table and everything in it.
DROP TABLE users;

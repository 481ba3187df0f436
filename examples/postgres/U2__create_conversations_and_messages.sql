-- Undo of V2: messages first (they reference conversations).
DROP TABLE messages;
DROP TABLE conversations;

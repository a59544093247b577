DROP TABLE setup_tokens;
DROP TABLE activity_log;
DROP TABLE users;
DROP TABLE sub_accounts;
DROP TABLE agencies;

-- Members who asked crisis watch (`/lantern-optout`) not to answer their messages in a server's
-- watched channels. Only the ids and when: never a message.
CREATE TABLE watch_optouts (
    guild_id INTEGER NOT NULL,
    user_id  INTEGER NOT NULL,
    at       INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);

-- Members who asked crisis watch (`/lantern-optout`) not to answer their messages in a server's
-- watched channels. Only the ids and when: never a message.
CREATE TABLE watch_optouts (
    guild_id BIGINT NOT NULL,
    user_id  BIGINT NOT NULL,
    at       BIGINT NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);

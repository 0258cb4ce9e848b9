-- Head office's side of Tillbook sync (MariaDB >= 10.6 or MySQL 8, InnoDB).
-- Applied by an administrator once per database (tillbook-sync's
-- `server::init_schema`); statements are separated by lines holding `--;`.
-- One account per shop (`server::add_shop`): TLS required, SELECT/INSERT on
-- shop_event and SELECT/UPDATE on shop_sync, nothing else, and the triggers
-- below tie every row it writes to its own shop_id.
CREATE TABLE IF NOT EXISTS shop_account (
    db_user VARCHAR(80) NOT NULL PRIMARY KEY,
    shop_id CHAR(32) CHARACTER SET ascii NOT NULL UNIQUE
) ENGINE=InnoDB
--;
CREATE TABLE IF NOT EXISTS shop_event (
    shop_id CHAR(32) CHARACTER SET ascii NOT NULL,
    seq BIGINT UNSIGNED NOT NULL,
    kind VARCHAR(64) NOT NULL,
    entity VARCHAR(64) NULL,
    entity_id VARCHAR(64) NULL,
    payload LONGTEXT NOT NULL CHECK (json_valid(payload)),
    created_at_ms BIGINT NOT NULL,
    chain BINARY(32) NOT NULL,
    received_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (shop_id, seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
--;
CREATE TABLE IF NOT EXISTS shop_sync (
    shop_id CHAR(32) CHARACTER SET ascii NOT NULL PRIMARY KEY,
    acked_seq BIGINT UNSIGNED NOT NULL,
    acked_chain BINARY(32) NOT NULL,
    updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB
--;
CREATE TRIGGER IF NOT EXISTS shop_event_owner BEFORE INSERT ON shop_event FOR EACH ROW
BEGIN
    IF NOT EXISTS (SELECT 1 FROM shop_account a
                    WHERE a.db_user = SUBSTRING_INDEX(USER(), '@', 1) AND a.shop_id = NEW.shop_id) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'this shop_id does not belong to this account';
    END IF;
END
--;
CREATE TRIGGER IF NOT EXISTS shop_sync_forward BEFORE UPDATE ON shop_sync FOR EACH ROW
BEGIN
    IF NEW.shop_id <> OLD.shop_id OR NOT EXISTS (SELECT 1 FROM shop_account a
                    WHERE a.db_user = SUBSTRING_INDEX(USER(), '@', 1) AND a.shop_id = OLD.shop_id) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'this shop_id does not belong to this account';
    END IF;
    IF NEW.acked_seq < OLD.acked_seq THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'acked_seq never goes down';
    END IF;
END

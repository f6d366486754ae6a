-- An `orders` table created before message ids existed (an older version of
-- this service, or another crud-master implementation: id, user_id,
-- number_of_items, total_amount) survives V1's CREATE TABLE IF NOT EXISTS.
-- Without this migration every insert would fail on the missing column and
-- the messages would be requeued forever. Existing rows keep their data and
-- get the key "legacy:<id>", which no gateway-set id (a UUID) or body hash
-- ("sha256:…") can take. On a table V1 created, every statement is a no-op.
ALTER TABLE orders ADD COLUMN IF NOT EXISTS message_id TEXT;
UPDATE orders SET message_id = 'legacy:' || id::text WHERE message_id IS NULL;
ALTER TABLE orders ALTER COLUMN message_id SET NOT NULL;
ALTER TABLE orders ADD COLUMN IF NOT EXISTS created_at TIMESTAMPTZ NOT NULL DEFAULT now();
-- the column types the insert writes (older tables may hold user_id as an
-- integer or the amount as an integer or float)
ALTER TABLE orders ALTER COLUMN user_id TYPE TEXT USING user_id::text;
ALTER TABLE orders ALTER COLUMN number_of_items TYPE INTEGER USING number_of_items::integer;
ALTER TABLE orders ALTER COLUMN total_amount TYPE NUMERIC(17,2) USING total_amount::numeric(17,2);
-- the key of INSERT … ON CONFLICT (message_id); V1's constraint owns an index
-- of this name already, so this creates one only on an adopted table
CREATE UNIQUE INDEX IF NOT EXISTS orders_message_id_key ON orders (message_id);

-- Release 2026.12, expand: a backfill (README, Backfills). Tidemark runs it in batches of 500 users in id order, one
-- transaction per batch, across as many invocations as it takes, and records this version after the last batch.
/* tidemark:backfill
{
  "table": "users",
  "key": "id",
  "set": "email_normalized = lower(email)",
  "where": "email_normalized IS NULL",
  "batchSize": 500
}
*/

package dev.tidemark.migration;

/**
 * How far a backfill migration has got, reported after every call that ran its batches. Carries counts only: no key,
 * no row content.
 *
 * @param version the backfill migration's version
 * @param script its file name
 * @param done rows (documents) the backfill has updated so far, across every call
 * @param estimated the store's estimate of the rows (documents) in the table (collection), for a percentage; {@code -1}
 *                  when the store has none
 * @param batches batches committed so far, across every call
 * @param perSecond rows (documents) updated per second in this call
 * @param finished whether the last batch is done
 * @param method how the rows are copied or updated: {@code batches} (PostgreSQL, MongoDB), {@code _reindex task} or
 *               {@code scroll and _bulk} (an Elasticsearch reindex)
 */
public record BackfillProgress(MigrationVersion version, String script, long done, long estimated, long batches, double perSecond,
                               boolean finished, String method) {
}

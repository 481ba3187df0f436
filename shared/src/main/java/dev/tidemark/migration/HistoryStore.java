package dev.tidemark.migration;

import java.util.List;

/**
 * The schema history of a MongoDB or Elasticsearch target: one record per migration run, same fields as Flyway's, plus
 * the lease epoch of the run that wrote it (fencing, see {@link LeaseStore}).
 */
public interface HistoryStore {

    /** @return every record, oldest first ({@code installed_rank} ascending); empty when none exists yet */
    List<AppliedMigration> read();

    /**
     * Writes a record, replacing the one with the same {@code installed_rank} (creating the history collection or
     * index on first use), unless that one was written by a later lease epoch: the store itself refuses the write, so a
     * run that lost its lease can never overwrite what a later run recorded.
     *
     * @param row the record, carrying the writer's lease {@link AppliedMigration#epoch() epoch}
     * @throws dev.tidemark.error.LeaseLostException when a record of that rank carries a later epoch
     */
    void write(AppliedMigration row);

    /**
     * Removes a record (repair of a failed migration, or a run that proved it sent nothing), unless a later lease epoch
     * wrote it: like {@link #write}, the store refuses a stale run's delete.
     *
     * @param installedRank the record's {@code installed_rank}
     * @param epoch the deleting run's lease epoch
     * @throws dev.tidemark.error.LeaseLostException when the record carries a later epoch
     */
    void delete(int installedRank, long epoch);
}

package dev.tidemark.migration;

import java.util.List;

/** The schema history of a MongoDB or Elasticsearch target: one record per migration run, same fields as Flyway's. */
public interface HistoryStore {

    /** @return every record, oldest first ({@code installed_rank} ascending); empty when none exists yet */
    List<AppliedMigration> read();

    /**
     * Writes a record, replacing the one with the same {@code installed_rank} (creating the history collection or
     * index on first use).
     *
     * @param row the record
     */
    void write(AppliedMigration row);

    /**
     * Removes a record (repair of a failed migration).
     *
     * @param installedRank the record's {@code installed_rank}
     */
    void delete(int installedRank);
}

package dev.tidemark.migration;

import java.util.List;

/** The schema history of a MongoDB or Elasticsearch target: one record per migration run, same fields as Flyway's. */
public interface HistoryStore {

    /** @return every record, oldest first ({@code installed_rank} ascending); empty when none exists yet */
    List<AppliedMigration> read();

    /** @param row appends a record (creating the history collection or index on first use) */
    void append(AppliedMigration row);
}

package dev.tidemark.mongo;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.ReplaceOptions;
import com.mongodb.client.model.Sorts;
import dev.tidemark.error.LeaseLostException;
import dev.tidemark.migration.AppliedMigration;
import dev.tidemark.migration.HistoryStore;
import dev.tidemark.migration.MigrationVersion;
import org.bson.Document;

import java.util.ArrayList;
import java.util.Date;
import java.util.List;

/**
 * Schema history in the collection {@code tidemark_schema_history} of the target database, one document per record
 * with Flyway's field names ({@code installed_rank} unique, {@code version}, {@code description}, {@code type},
 * {@code script}, {@code checksum}, {@code installed_by}, {@code installed_on}, {@code execution_time},
 * {@code success}, and {@code error} on a failed record).
 */
public final class MongoHistoryStore implements HistoryStore {

    /** Collection name. */
    public static final String COLLECTION = "tidemark_schema_history";

    private final MongoCollection<Document> collection;
    private boolean indexed;

    /** @param database the target database */
    public MongoHistoryStore(MongoDatabase database) {
        this.collection = database.getCollection(COLLECTION);
    }

    @Override
    public List<AppliedMigration> read() {
        List<AppliedMigration> rows = new ArrayList<>();
        for (Document d : collection.find().sort(Sorts.ascending("installed_rank"))) {
            Number checksum = d.get("checksum", Number.class);
            Number time = d.get("execution_time", Number.class);
            Date on = d.getDate("installed_on");
            String version = d.getString("version");
            rows.add(new AppliedMigration(d.get("installed_rank", Number.class).intValue(),
                version == null ? null : MigrationVersion.parse(version), d.getString("description"), d.getString("type"),
                d.getString("script"), checksum == null ? null : checksum.intValue(), d.getString("installed_by"),
                on == null ? null : on.toInstant(), time == null ? 0 : time.longValue(), Boolean.TRUE.equals(d.getBoolean("success")),
                d.getString("error"), d.get("epoch", Number.class) == null ? 0 : d.get("epoch", Number.class).longValue()));
        }
        return rows;
    }

    @Override
    public void write(AppliedMigration row) {
        if (!indexed) {
            collection.createIndex(Indexes.ascending("installed_rank"), new IndexOptions().unique(true).name("installed_rank_unique"));
            indexed = true;
        }
        Document d = new Document("installed_rank", row.installedRank())
            .append("version", row.version() == null ? null : row.version().toString())
            .append("description", row.description())
            .append("type", row.type())
            .append("script", row.script())
            .append("checksum", row.checksum())
            .append("installed_by", row.installedBy())
            .append("installed_on", Date.from(row.installedOn()))
            .append("execution_time", row.executionTimeMs())
            .append("success", row.success());
        if (row.error() != null) {
            d.append("error", row.error());
        }
        d.append("epoch", row.epoch());
        // fenced: replaces only a record of the same or an earlier epoch; over a later one the upsert inserts a second
        // document of the rank, which the unique index refuses
        try {
            collection.replaceOne(Filters.and(Filters.eq("installed_rank", row.installedRank()),
                Filters.or(Filters.lte("epoch", row.epoch()), Filters.exists("epoch", false))), d, new ReplaceOptions().upsert(true));
        } catch (MongoWriteException e) {
            if (e.getError().getCategory() == ErrorCategory.DUPLICATE_KEY) {
                throw new LeaseLostException("mongodb: record " + row.installedRank() + " of the schema history belongs to a later run (this "
                    + "run's epoch is " + row.epoch() + "); this run lost its lease and stopped");
            }
            throw e;
        }
    }

    @Override
    public void delete(int installedRank, long epoch) {
        var gone = collection.deleteOne(Filters.and(Filters.eq("installed_rank", installedRank),
            Filters.or(Filters.lte("epoch", epoch), Filters.exists("epoch", false))));
        if (gone.getDeletedCount() == 0 && collection.countDocuments(Filters.eq("installed_rank", installedRank)) > 0) {
            throw new LeaseLostException("mongodb: record " + installedRank + " of the schema history belongs to a later run (this run's epoch is "
                + epoch + "); this run lost its lease and stopped");
        }
    }
}

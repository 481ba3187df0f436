package dev.tidemark.mongo;

import com.mongodb.MongoCommandException;
import com.mongodb.MongoException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoDatabase;
import dev.tidemark.error.ConnectionException;
import dev.tidemark.error.TidemarkException;
import dev.tidemark.error.ValidationException;
import dev.tidemark.migration.InfoResult;
import dev.tidemark.migration.LeasedMigrationEngine;
import dev.tidemark.migration.MigrateResult;
import dev.tidemark.migration.MigrationScript;
import dev.tidemark.migration.MigrationVersion;
import dev.tidemark.migration.Store;
import dev.tidemark.migration.TargetVersion;
import org.bson.BsonArray;
import org.bson.BsonDocument;
import org.bson.BsonValue;
import org.bson.json.JsonParseException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * MongoDB migrations: a {@code V<version>__<description>.json} file is a JSON array of database commands in MongoDB
 * Extended JSON ({@code create}, {@code createIndexes}, {@code collMod}, {@code update} with pipelines,
 * {@code renameCollection}, ...), each run in order with {@code runCommand} on the target database. A command answering
 * {@code ok: 0}, or with {@code writeErrors}/{@code writeConcernError}, fails the migration. History in
 * {@code tidemark_schema_history}, lease lock in {@code tidemark_lock}.
 */
public final class MongoEngine extends LeasedMigrationEngine<List<BsonDocument>> {

    private final MongoClient client;
    private final MongoDatabase database;

    /**
     * @param target the target name
     * @param client a client (closed by {@link #close()})
     * @param database the target database name
     * @param scripts resolved {@code .json} migrations
     * @param leaseLength lease length
     * @param lockWait how long to wait for a held lock
     */
    public MongoEngine(String target, MongoClient client, String database, List<MigrationScript> scripts, Duration leaseLength,
                       Duration lockWait) {
        this(target, client, client.getDatabase(database), scripts, leaseLength, lockWait);
    }

    private MongoEngine(String target, MongoClient client, MongoDatabase db, List<MigrationScript> scripts, Duration leaseLength,
                        Duration lockWait) {
        super(Store.MONGODB, target, scripts, new MongoHistoryStore(db), new MongoLeaseStore(db), leaseLength, lockWait, "tidemark");
        this.client = client;
        this.database = db;
    }

    /**
     * Parses a migration file: a JSON array whose elements are command documents (string elements
     * {@code "tidemark:approve <RULE> <reason>"} and {@code "tidemark:phase contract"} are lint approval and phase markers
     * and are skipped).
     *
     * @param script the migration
     * @return the commands in order
     * @throws ValidationException naming the file when it is not such an array
     */
    public static List<BsonDocument> parseCommands(MigrationScript script) {
        BsonArray array;
        try {
            array = BsonArray.parse(script.content());
        } catch (JsonParseException | org.bson.BsonInvalidOperationException e) {
            throw new ValidationException("migration " + script.script() + ": not a JSON array of commands: " + e.getMessage());
        }
        List<BsonDocument> commands = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            BsonValue v = array.get(i);
            if (v.isString() && (v.asString().getValue().startsWith("tidemark:approve") || v.asString().getValue().startsWith("tidemark:phase"))) {
                continue; // a lint approval or phase marker (JSON has no comments)
            }
            if (!v.isDocument() || v.asDocument().isEmpty()) {
                throw new ValidationException("migration " + script.script() + ": element " + i + " is not a command document");
            }
            if (v.asDocument().containsKey(MongoBackfill.MARKER)) {
                continue; // a backfill's declaration: run batch by batch by MongoBackfill before the version is recorded
            }
            commands.add(v.asDocument());
        }
        return commands;
    }

    /** Backfill migrations: {@link MongoBackfill}. */
    @Override
    public dev.tidemark.migration.Backfills backfills() {
        return new MongoBackfill(target(), database);
    }

    @Override
    protected List<BsonDocument> parse(MigrationScript script) {
        return parseCommands(script);
    }

    /** NamespaceNotFound, IndexNotFound: accepted while cleaning up a failed migration. */
    private static final java.util.Set<Integer> ABSENT = java.util.Set.of(26, 27);

    @Override
    protected List<String> describe(List<BsonDocument> commands) {
        return commands.stream().map(c -> c.toJson()).toList();
    }

    @Override
    protected void execute(MigrationScript script, List<BsonDocument> commands, boolean cleanup, StepGuard guard) {
        for (int i = 0; i < commands.size(); i++) {
            BsonDocument command = commands.get(i);
            guard.beforeStep();
            String name = command.getFirstKey();
            BsonDocument reply;
            try {
                reply = database.runCommand(command, BsonDocument.class);
            } catch (MongoCommandException e) {
                if (cleanup && ABSENT.contains(e.getErrorCode())) {
                    continue;
                }
                throw new StepFailed("command " + (i + 1) + " (" + name + ") failed: " + e.getErrorCodeName() + " (" + e.getErrorCode() + ")");
            }
            if (reply.containsKey("writeErrors") && !reply.getArray("writeErrors").isEmpty()) {
                // codes and positions only: the server's errmsg quotes the documents (a duplicate key's value)
                List<String> errors = new ArrayList<>();
                for (var w : reply.getArray("writeErrors")) {
                    errors.add("{index: " + w.asDocument().getNumber("index", new org.bson.BsonInt32(-1)).intValue() + ", code: "
                        + w.asDocument().getNumber("code", new org.bson.BsonInt32(-1)).intValue() + "}");
                }
                throw new StepFailed("command " + (i + 1) + " (" + name + ") had write errors: " + errors);
            }
            if (reply.containsKey("writeConcernError")) {
                throw new StepFailed("command " + (i + 1) + " (" + name + ") had a write concern error: code "
                    + reply.getDocument("writeConcernError").getNumber("code", new org.bson.BsonInt32(-1)).intValue());
            }
        }
    }

    @Override
    protected String historyType() {
        return "JSON";
    }

    @Override
    public InfoResult info() {
        return guard(super::info);
    }

    @Override
    public MigrateResult migrate(TargetVersion target, boolean dryRun) {
        return guard(() -> super.migrate(target, dryRun));
    }

    @Override
    public MigrateResult undo(MigrationVersion to, boolean dryRun) {
        return guard(() -> super.undo(to, dryRun));
    }

    @Override
    public dev.tidemark.migration.RepairResult repair(boolean realignChecksums) {
        return guard(() -> super.repair(realignChecksums));
    }

    @Override
    public void validate() {
        guard(() -> {
            super.validate();
            return null;
        });
    }

    @Override
    public void baseline(MigrationVersion version, String description) {
        guard(() -> {
            super.baseline(version, description);
            return null;
        });
    }

    @Override
    public void ping() {
        guard(() -> database.runCommand(new BsonDocument("ping", new org.bson.BsonInt32(1))));
    }

    private <T> T guard(Supplier<T> action) {
        try {
            return action.get();
        } catch (TidemarkException e) {
            throw e;
        } catch (MongoException e) {
            throw MongoErrors.transientError(e) ? new ConnectionException("mongodb target '" + target() + "': " + MongoErrors.describe(e), e)
                : new dev.tidemark.error.StoreException("mongodb target '" + target() + "': " + MongoErrors.describe(e), e);
        }
    }

    @Override
    public void close() {
        client.close();
    }

    /** A failed step, carrying the server's answer. */
    static final class StepFailed extends RuntimeException {
        StepFailed(String message) {
            super(message);
        }
    }
}

package dev.tidemark.erasure;

import dev.tidemark.config.TargetConfig;
import dev.tidemark.elastic.ElasticClient;
import dev.tidemark.engine.EngineFactory;
import dev.tidemark.error.ConnectionException;
import dev.tidemark.error.StoreException;
import dev.tidemark.error.ValidationException;
import dev.tidemark.postgres.SqlStates;
import dev.tidemark.secrets.ConnectionSecrets;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * One target's part of an erasure request: reads the target's {@value ErasurePlan#FILE} from its location, checks the
 * subject id against the plan, connects with the target's secret (in a deployment, the eraser role's) and runs the
 * store's eraser.
 */
public final class ErasureService {

    private final EngineFactory engines;
    private final Supplier<byte[]> pseudonymKey;
    private final int batchSize;
    private final Duration statementTimeout;

    /**
     * @param engines configuration, secrets and locations
     * @param pseudonymKey the key of {@link SubjectId#pseudonym} (read when a plan pseudonymises)
     * @param batchSize rows, documents or entries per statement, command or request (1 to 10,000)
     * @param statementTimeout the longest one PostgreSQL statement may run
     */
    public ErasureService(EngineFactory engines, Supplier<byte[]> pseudonymKey, int batchSize, Duration statementTimeout) {
        this.engines = engines;
        this.pseudonymKey = pseudonymKey;
        this.batchSize = batchSize;
        this.statementTimeout = statementTimeout;
    }

    /**
     * @param name a target's name from a request
     * @return the configured target
     * @throws ValidationException naming {@code target} when no target has that name
     */
    public TargetConfig target(String name) {
        return engines.config().target(name).orElseThrow(() -> new ValidationException("target: unknown target; configured targets: "
            + String.join(", ", engines.config().targetNames())));
    }

    /**
     * @param target a configured target
     * @return its erasure plan
     * @throws ValidationException when the location holds no {@value ErasurePlan#FILE} or the plan is malformed
     */
    public ErasurePlan plan(TargetConfig target) {
        return planOf(target).orElseThrow(() -> new ValidationException("targets: target '" + target.name() + "' has no " + ErasurePlan.FILE
            + " in its migration location"));
    }

    /** @return the target's plan, read once from its location, or empty when it has none */
    private java.util.Optional<ErasurePlan> planOf(TargetConfig target) {
        return engines.file(target, ErasurePlan.FILE).map(json -> {
            try {
                return ErasurePlan.parse(target.store(), json);
            } catch (ValidationException e) {
                throw new ValidationException("target '" + target.name() + "': " + e.getMessage());
            }
        });
    }

    /**
     * @param targetName a target's name
     * @return its plan, or empty when the target is not configured or its location holds no {@value ErasurePlan#FILE}
     * @throws ValidationException when the plan is malformed
     */
    public java.util.Optional<ErasurePlan> planIfAny(String targetName) {
        return engines.config().target(targetName).flatMap(this::planOf);
    }

    /**
     * One target's part of an erasure request, and the coverage check of its plan.
     *
     * @param result the verified counts
     * @param coverage the coverage findings ({@link ErasureCoverage}), read from metadata after the erasure
     */
    public record Outcome(ErasureResult result, java.util.List<String> coverage) {
    }

    /**
     * Erases (or, on a dry run, counts) one data subject on one target, then runs the coverage check of the plan on the
     * same connection: the plan is read once, the store connected to once.
     *
     * @param target a configured target
     * @param subjectId the request's subject id, unchecked
     * @param dryRun count and change nothing
     * @return the verified counts and the coverage findings
     * @throws ValidationException naming {@code subject.id} or the plan field; nothing changed
     * @throws ConnectionException when the store cannot be reached (retry)
     * @throws StoreException when the store refused the work or the verification found data left
     */
    public Outcome erase(TargetConfig target, String subjectId, boolean dryRun) {
        return erase(target, null, subjectId, dryRun);
    }

    /**
     * As {@link #erase(TargetConfig, String, boolean)}, for a request that names the kind of subject.
     *
     * @param target a configured target
     * @param subjectType the request's kind of subject, which must be the plan's {@code subject.name}; {@code null} skips
     *                    the check
     * @param subjectId the request's subject id, unchecked
     * @param dryRun count and change nothing
     * @return the verified counts and the coverage findings
     * @throws ValidationException naming {@code subject.type} when the plan erases another kind of subject
     */
    public Outcome erase(TargetConfig target, String subjectType, String subjectId, boolean dryRun) {
        return erase(target, subjectType, subjectId, dryRun, () -> false);
    }

    /**
     * As {@link #erase(TargetConfig, String, String, boolean)} within a time budget: when {@code stop} answers
     * {@code true} before the work is done, the result says {@code done: false} and keeps what was erased; calling again
     * goes on (each call runs at least one batch per item).
     *
     * @param stop whether the call's time is up, e.g. {@code budget::softPassed}
     * @return the verified counts and the coverage findings
     */
    public Outcome erase(TargetConfig target, String subjectType, String subjectId, boolean dryRun, java.util.function.BooleanSupplier stop) {
        ErasurePlan plan = plan(target);
        if (subjectType != null && !subjectType.equals(plan.subject())) {
            throw new ValidationException("subject.type: target '" + target.name() + "' erases a '" + plan.subject() + "', not a '" + subjectType
                + "'; nothing was changed");
        }
        SubjectId subject = SubjectId.parse(subjectId, plan.idType(), "subject.id");
        // each eraser maps its own store errors; onStore maps the coverage check's metadata reads and the close
        return onStore(target, Duration.ofSeconds(60),
            c -> new Outcome(new PostgresEraser(target.name(), plan, key(plan), batchSize, statementTimeout).erase(c, subject, dryRun, stop),
                ErasureCoverage.postgres(c, plan)),
            db -> new Outcome(new MongoEraser(target.name(), plan, key(plan), batchSize).erase(db, subject, dryRun, stop),
                ErasureCoverage.mongo(db, plan)),
            client -> new Outcome(new ElasticEraser(target.name(), plan, batchSize).erase(client, subject, dryRun, stop),
                ErasureCoverage.elastic(client, plan)));
    }

    /**
     * The coverage check alone ({@link ErasureCoverage}), from metadata: what the health check reports per target.
     *
     * @param target a configured target
     * @return the findings, or empty when the location holds no {@value ErasurePlan#FILE}
     * @throws ValidationException when the plan is malformed
     * @throws ConnectionException when the store cannot be reached (retry)
     * @throws StoreException when the store refused the metadata reads
     */
    public java.util.Optional<java.util.List<String>> coverage(TargetConfig target) {
        return planOf(target).map(plan -> onStore(target, Duration.ofSeconds(30), c -> ErasureCoverage.postgres(c, plan),
            db -> ErasureCoverage.mongo(db, plan), client -> ErasureCoverage.elastic(client, plan)));
    }

    /** Work on a PostgreSQL connection. */
    @FunctionalInterface
    private interface SqlWork<T> {
        T apply(Connection c) throws SQLException;
    }

    /**
     * Opens the target's store as its secret says, runs the work for that store, closes it. A driver error that reaches
     * here (the coverage check's metadata reads, the close) is mapped by the store's own codes: retryable or not.
     */
    private <T> T onStore(TargetConfig target, Duration readTimeout, SqlWork<T> postgres, java.util.function.Function<com.mongodb.client.MongoDatabase, T> mongo,
                          java.util.function.Function<ElasticClient, T> elastic) {
        String secret = engines.secret(target);
        return switch (target.store()) {
            case POSTGRES -> {
                try (Connection c = connect(target, ConnectionSecrets.postgres(target.secretId(), secret, target.database()))) {
                    yield postgres.apply(c);
                } catch (SQLException e) {
                    String what = "postgres target '" + target.name() + "': the coverage check failed (SQL state " + e.getSQLState() + ")";
                    throw SqlStates.transientState(e.getSQLState()) ? new ConnectionException(what, e) : new StoreException(what, e);
                }
            }
            case MONGODB -> {
                ConnectionSecrets.Mongo m = ConnectionSecrets.mongo(target.secretId(), secret, target.database());
                try (var client = EngineFactory.mongoClient(m, readTimeout)) {
                    yield mongo.apply(client.getDatabase(m.database()));
                } catch (com.mongodb.MongoException e) {
                    String what = "mongodb target '" + target.name() + "': the coverage check failed: " + dev.tidemark.mongo.MongoErrors.describe(e);
                    throw dev.tidemark.mongo.MongoErrors.transientError(e) ? new ConnectionException(what, e) : new StoreException(what, e);
                }
            }
            case ELASTICSEARCH -> {
                try (ElasticClient client = new ElasticClient(ConnectionSecrets.elastic(target.secretId(), secret), readTimeout)) {
                    yield elastic.apply(client);
                }
            }
        };
    }

    private byte[] key(ErasurePlan plan) {
        return plan.pseudonymises() ? pseudonymKey.get() : new byte[0];
    }

    private static Connection connect(TargetConfig target, ConnectionSecrets.Postgres p) {
        try {
            return p.open("tidemark-erasure");
        } catch (SQLException e) {
            String what = "postgres target '" + target.name() + "': cannot connect (" + SqlStates.describe(e) + ")";
            throw SqlStates.transientState(e.getSQLState()) || e.getSQLState() == null ? new ConnectionException(what, e)
                : new StoreException(what, e);
        }
    }
}

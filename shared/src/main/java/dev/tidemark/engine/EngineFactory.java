package dev.tidemark.engine;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoClients;
import dev.tidemark.config.TargetConfig;
import dev.tidemark.config.TidemarkConfig;
import dev.tidemark.elastic.ElasticClient;
import dev.tidemark.elastic.ElasticEngine;
import dev.tidemark.location.Location;
import dev.tidemark.location.LocationReader;
import dev.tidemark.migration.MigrationEngine;
import dev.tidemark.migration.MigrationResolver;
import dev.tidemark.migration.MigrationScript;
import dev.tidemark.mongo.MongoEngine;
import dev.tidemark.postgres.PostgresEngine;
import dev.tidemark.secrets.ConnectionSecrets;
import dev.tidemark.secrets.SecretsSource;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Opens the {@link MigrationEngine} of a configured target: reads its connection secret, reads and resolves its
 * migrations from its location, and connects.
 */
public final class EngineFactory {

    private final TidemarkConfig config;
    private final SecretsSource secrets;
    private final LocationReader locations;

    /**
     * @param config function configuration
     * @param secrets where connection secrets are read
     * @param locations where migrations are read
     */
    public EngineFactory(TidemarkConfig config, SecretsSource secrets, LocationReader locations) {
        this.config = config;
        this.secrets = secrets;
        this.locations = locations;
    }

    /** @return the configuration */
    public TidemarkConfig config() {
        return config;
    }

    /**
     * @param target a configured target
     * @return its resolved migrations, in version order
     */
    public List<MigrationScript> scripts(TargetConfig target) {
        return MigrationResolver.resolve(target.store(), files(target));
    }

    private List<dev.tidemark.location.ScriptFile> files(TargetConfig target) {
        return locations.read(Location.parse(target.location()), target.store().extension());
    }

    /**
     * @param target a configured target
     * @param name a file's name in the target's location, e.g. {@code erasure.json}
     * @return its content, or empty when the location holds no such file; no other file is read
     * @throws dev.tidemark.error.LocationException when the location cannot be read
     */
    public java.util.Optional<String> file(TargetConfig target, String name) {
        return locations.read(Location.parse(target.location()), name::equals).stream().map(dev.tidemark.location.ScriptFile::content)
            .findFirst();
    }

    /**
     * @param target a configured target
     * @return an open engine; the caller closes it
     */
    public MigrationEngine open(TargetConfig target) {
        return open(target, migrations(target));
    }

    /**
     * A target's migration files, read once.
     *
     * @param versioned versioned migrations in version order
     * @param undo undo migrations in version order
     * @param erasurePlan the content of the location's {@code erasure.json}, or {@code null}
     * @param lintApprovals the content of the location's {@code lint-approvals.json}, or {@code null}
     */
    public record Migrations(List<MigrationScript> versioned, List<MigrationScript> undo, String erasurePlan, String lintApprovals) {
        /**
         * Resolves a location's files.
         *
         * @param store the store
         * @param files every file of the location
         * @return its migrations, erasure plan and lint approvals
         */
        public static Migrations of(dev.tidemark.migration.Store store, List<dev.tidemark.location.ScriptFile> files) {
            return new Migrations(MigrationResolver.resolve(store, files), MigrationResolver.resolveUndo(store, files),
                file(files, dev.tidemark.erasure.ErasurePlan.FILE), file(files, dev.tidemark.lint.LintApprovals.FILE));
        }

        private static String file(List<dev.tidemark.location.ScriptFile> files, String name) {
            return files.stream().filter(f -> f.name().equals(name)).map(dev.tidemark.location.ScriptFile::content).findFirst().orElse(null);
        }
    }

    /**
     * @param target a configured target
     * @return its versioned and undo migrations, read from its location
     */
    public Migrations migrations(TargetConfig target) {
        return Migrations.of(target.store(), files(target));
    }

    /**
     * @param target a configured target
     * @param migrations its migrations, already read
     * @return an open engine; the caller closes it
     */
    public MigrationEngine open(TargetConfig target, Migrations migrations) {
        return openWith(target, migrations.versioned()).undoScripts(migrations.undo());
    }

    /**
     * @param target a configured target
     * @return its connection secret's JSON (never logged)
     * @throws dev.tidemark.error.SecretException when it cannot be read
     */
    public String secret(TargetConfig target) {
        return secrets.secretString(target.secretId());
    }

    /**
     * @param mongo connection settings
     * @return a client with Tidemark's timeouts (5 s server selection and connect); the caller closes it
     */
    public static com.mongodb.client.MongoClient mongoClient(ConnectionSecrets.Mongo mongo) {
        return mongoClient(mongo, Duration.ZERO);
    }

    /**
     * @param mongo connection settings
     * @param readTimeout the longest a command may wait for the server's answer, {@link Duration#ZERO} for none
     * @return a client with Tidemark's timeouts (5 s server selection and connect, this read timeout); the caller closes it
     */
    public static com.mongodb.client.MongoClient mongoClient(ConnectionSecrets.Mongo mongo, Duration readTimeout) {
        MongoClientSettings settings = MongoClientSettings.builder()
            .applyConnectionString(new ConnectionString(mongo.uri()))
            .applicationName("tidemark")
            .applyToClusterSettings(c -> c.serverSelectionTimeout(5, TimeUnit.SECONDS))
            .applyToSocketSettings(s -> s.connectTimeout(5, TimeUnit.SECONDS).readTimeout((int) readTimeout.toMillis(), TimeUnit.MILLISECONDS))
            .build();
        return MongoClients.create(settings);
    }

    /**
     * @return how long one command or request of a MongoDB or Elasticsearch migration may wait for the store's answer:
     *         five sixths of the lease (50 s with the default 60 s lease), so a run cut off from its store notices it
     *         before its lease runs out
     */
    private Duration commandTimeout() {
        return Duration.ofMillis(Math.max(1000, config.leaseSeconds() * 1000L * 5 / 6));
    }

    private MigrationEngine openWith(TargetConfig target, List<MigrationScript> scripts) {
        String secret = secrets.secretString(target.secretId());
        Duration lease = Duration.ofSeconds(config.leaseSeconds());
        Duration wait = Duration.ofSeconds(config.lockWaitSeconds());
        return switch (target.store()) {
            case POSTGRES -> new PostgresEngine(target.name(), ConnectionSecrets.postgres(target.secretId(), secret, target.database()), scripts,
                config.lockWaitSeconds()).placeholders(config.placeholders()).lockTimeout(config.lockTimeoutMillis());
            case MONGODB -> {
                ConnectionSecrets.Mongo mongo = ConnectionSecrets.mongo(target.secretId(), secret, target.database());
                MongoEngine engine = new MongoEngine(target.name(), mongoClient(mongo, commandTimeout()), mongo.database(), scripts, lease, wait);
                engine.placeholders(config.placeholders());
                yield engine;
            }
            case ELASTICSEARCH -> {
                ElasticEngine engine = new ElasticEngine(target.name(), new ElasticClient(ConnectionSecrets.elastic(target.secretId(), secret),
                    commandTimeout()),
                    scripts, lease, wait);
                engine.placeholders(config.placeholders());
                yield engine;
            }
        };
    }
}

package dev.tidemark.migration;

import com.mongodb.client.MongoClients;
import dev.tidemark.elastic.ElasticClient;
import dev.tidemark.elastic.ElasticEngine;
import dev.tidemark.mongo.MongoEngine;
import dev.tidemark.secrets.ConnectionSecrets;
import dev.tidemark.testing.Ledger;

import java.time.Duration;

/**
 * A migrating run in a JVM of its own, as Lambda runs one, for {@link LeaseFaultProcessTest} to pause, resume or kill:
 * {@code store url database count steps leaseMillis} (PostgreSQL: {@code url} is {@code host:port}, and the lease is its
 * lock wait). Prints {@code started} once its engine is built, then
 * {@code result <status> <migrations applied>} or {@code error <class>}.
 */
public final class LeaseFaultHolder {

    private LeaseFaultHolder() {
    }

    /** @param args store, url, database, count, steps, lease in milliseconds */
    public static void main(String[] args) {
        Store store = Store.of(args[0]);
        var scripts = Ledger.scripts(store, Integer.parseInt(args[3]), Integer.parseInt(args[4]));
        Duration lease = Duration.ofMillis(Long.parseLong(args[5]));
        try (MigrationEngine engine = switch (store) {
            case MONGODB -> new MongoEngine("app-docs", MongoClients.create(args[1]), args[2], scripts, lease, Duration.ofSeconds(30));
            case ELASTICSEARCH -> new ElasticEngine("search", new ElasticClient(new ConnectionSecrets.Elastic(args[1], null, null, null)), scripts,
                lease, Duration.ofSeconds(30));
            case POSTGRES -> new dev.tidemark.postgres.PostgresEngine("app-db", new ConnectionSecrets.Postgres(args[1].substring(0,
                args[1].indexOf(':')), Integer.parseInt(args[1].substring(args[1].indexOf(':') + 1)), args[2], "postgres", "x"), scripts,
                (int) Math.max(1, lease.toSeconds()));
        }) {
            System.out.println("started");
            MigrateResult r = engine.migrate(TargetVersion.LATEST, false);
            System.out.println("result " + r.status() + " " + r.migrations().size());
        } catch (RuntimeException e) {
            System.out.println("error " + e.getClass().getSimpleName());
            System.err.println("message " + e.getMessage());
        }
        System.exit(0);
    }
}

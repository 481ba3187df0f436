package dev.tidemark.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import dev.tidemark.elastic.ElasticClient;
import dev.tidemark.migration.AppliedMigration;
import dev.tidemark.migration.Checksums;
import dev.tidemark.migration.MigrationScript;
import dev.tidemark.migration.MigrationVersion;
import dev.tidemark.migration.Store;
import dev.tidemark.secrets.ConnectionSecrets;
import org.bson.Document;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An append-only ledger for lease fault tests: migration {@code m} has {@code steps} steps, each a separate command
 * (MongoDB), request (Elasticsearch) or statement (PostgreSQL, with a 10 ms pause after it) that appends
 * {@code {m, step}} to the collection {@code ledger}, the index {@code ledger-<m>} (Elasticsearch: one per migration, so an
 * undo can drop it; the test node has no {@code _delete_by_query}) or the table {@code faults.ledger} (outside Flyway's
 * schema), so every execution of every step is counted. A step that runs after its migration was undone lands again and
 * is counted too.
 */
public final class Ledger {

    private Ledger() {
    }

    /**
     * @param store MongoDB or Elasticsearch
     * @param version the migration's version
     * @param steps how many steps it has
     * @return its content
     */
    public static String steps(Store store, int version, int steps) {
        StringBuilder out = new StringBuilder(store == Store.MONGODB ? "[" : "");
        for (int k = 1; k <= steps; k++) {
            if (store == Store.POSTGRES) {
                // one transaction per migration: a killed run leaves none of its steps
                out.append("INSERT INTO faults.ledger (m, step) VALUES (").append(version).append(", ").append(k).append(");\nSELECT pg_sleep(0.01);\n");
            } else if (store == Store.MONGODB) {
                out.append(k == 1 ? "" : ",\n").append("{\"insert\": \"ledger\", \"documents\": [{\"m\": ").append(version).append(", \"step\": ")
                    .append(k).append("}]}");
            } else {
                out.append("POST /ledger-").append(version).append("/_doc\n{\"m\": ").append(version).append(", \"step\": ").append(k).append("}\n\n");
            }
        }
        return out.append(store == Store.MONGODB ? "]" : "").toString();
    }

    /**
     * @param store MongoDB or Elasticsearch
     * @param count how many migrations
     * @param steps steps per migration
     * @return migrations {@code V1} to {@code V<count>}
     */
    public static List<MigrationScript> scripts(Store store, int count, int steps) {
        List<MigrationScript> out = new ArrayList<>();
        for (int v = 1; v <= count; v++) {
            String content = steps(store, v, steps);
            out.add(new MigrationScript(MigrationVersion.parse(Integer.toString(v)), "ledger " + v, "V" + v + "__ledger_" + v + "."
                + store.extension(), content, Checksums.of(content)));
        }
        return out;
    }

    /** Every Elasticsearch ledger index a test may create ({@code ledger-1} to {@code ledger-20}), comma-separated, to delete by name. */
    public static final String ELASTIC_INDICES = java.util.stream.IntStream.rangeClosed(1, 20).mapToObj(m -> "ledger-" + m)
        .collect(Collectors.joining(","));

    /**
     * @param store MongoDB or Elasticsearch
     * @param count how many migrations
     * @return undo migrations {@code U1} to {@code U<count>}, each removing every entry of its migration
     */
    public static List<MigrationScript> undoScripts(Store store, int count) {
        List<MigrationScript> out = new ArrayList<>();
        for (int v = 1; v <= count; v++) {
            String content = store == Store.MONGODB ? "[{\"delete\": \"ledger\", \"deletes\": [{\"q\": {\"m\": " + v + "}, \"limit\": 0}]}]"
                : "DELETE /ledger-" + v + "\n";
            out.add(new MigrationScript(MigrationVersion.parse(Integer.toString(v)), "ledger " + v, "U" + v + "__ledger_" + v + "."
                + store.extension(), content, Checksums.of(content)));
        }
        return out;
    }

    /**
     * @param store the store
     * @param url the server ({@code mongodb://...}, {@code http://...}, or {@code host:port} for PostgreSQL)
     * @param database the MongoDB or PostgreSQL database (ignored for Elasticsearch)
     * @return every entry, as {@code m:step}
     */
    public static List<String> read(Store store, String url, String database) {
        List<String> out = new ArrayList<>();
        if (store == Store.POSTGRES) {
            try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:postgresql://" + url + "/" + database, "postgres", "x");
                 java.sql.ResultSet rs = c.createStatement().executeQuery("SELECT m || ':' || step FROM faults.ledger")) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException("reading the ledger", e);
            }
        } else if (store == Store.MONGODB) {
            try (MongoClient client = MongoClients.create(url)) {
                for (Document d : client.getDatabase(database).getCollection("ledger").find()) {
                    out.add(d.get("m", Number.class).intValue() + ":" + d.get("step", Number.class).intValue());
                }
            }
        } else {
            try (ElasticClient client = new ElasticClient(new ConnectionSecrets.Elastic(url, null, null, null))) {
                client.send("POST", "/ledger-*/_refresh", null);
                for (JsonNode hit : client.send("GET", "/ledger-*/_search?size=10000", null).body().path("hits").path("hits")) {
                    out.add(hit.path("_source").path("m").asInt() + ":" + hit.path("_source").path("step").asInt());
                }
            }
        }
        return out;
    }

    /**
     * The invariants of a lease fault trial: no step ran twice; every migration recorded as successful ran all its
     * steps; every migration that ran a step is in the history (successful, or failed).
     *
     * @param ledger the ledger's entries
     * @param history the schema history
     * @param steps steps per migration
     * @param what the trial, for messages
     */
    public static void assertConsistent(List<String> ledger, List<AppliedMigration> history, int steps, String what) {
        assertThat(ledger).as("no step ran twice (%s)", what).doesNotHaveDuplicates();
        Map<Integer, Long> ran = ledger.stream().collect(Collectors.groupingBy(e -> Integer.parseInt(e.substring(0, e.indexOf(':'))),
            Collectors.counting()));
        for (AppliedMigration r : history) {
            if (r.success() && r.version() != null) {
                assertThat(ran.getOrDefault(Integer.parseInt(r.version().toString()), 0L))
                    .as("migration %s is recorded as done, so all its steps ran (%s)", r.version(), what).isEqualTo(steps);
            }
        }
        for (int v : ran.keySet()) {
            assertThat(history).as("migration %d ran steps, so the history has it (%s)", v, what)
                .anyMatch(r -> r.version() != null && r.version().toString().equals(String.valueOf(v)));
        }
    }
}

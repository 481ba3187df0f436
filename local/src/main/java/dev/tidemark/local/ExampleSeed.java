package dev.tidemark.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tidemark.elastic.ElasticClient;
import dev.tidemark.elastic.HttpRequestSpec;
import dev.tidemark.elastic.HttpScriptParser;
import dev.tidemark.secrets.ConnectionSecrets;
import org.bson.Document;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * Loads the example data of {@code examples/seed/} into the local stores after the rollout: {@code postgres.sql} (run
 * as one transaction), {@code mongodb.json} (database commands, as a MongoDB migration holds them) and
 * {@code elasticsearch.http} (requests, as an Elasticsearch migration holds them). Once: nothing is loaded when
 * PostgreSQL already holds an {@code example.org} user, so an erased example user stays erased. Local only; no
 * deployment runs it.
 */
final class ExampleSeed {

    private ExampleSeed() {
    }

    /**
     * @param stack the running stack, migrated
     * @param dir {@code examples/seed}
     * @return whether the data was loaded ({@code false}: it was there, or the directory is missing)
     */
    static boolean load(LocalStack stack, Path dir) {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (Connection c = DriverManager.getConnection(stack.postgres().jdbcUrl(LocalStack.DATABASE), "postgres", stack.postgresPassword())) {
            try (ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM users WHERE email LIKE '%@example.org'")) {
                rs.next();
                if (rs.getLong(1) > 0) {
                    return false;
                }
            }
            c.setAutoCommit(false);
            c.createStatement().execute(Files.readString(dir.resolve("postgres.sql")));
            c.commit();
        } catch (SQLException e) {
            throw new IllegalStateException("examples/seed/postgres.sql failed: SQL state " + e.getSQLState() + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try (var client = com.mongodb.client.MongoClients.create(stack.mongo().uri())) {
            var db = client.getDatabase(LocalStack.DATABASE);
            for (JsonNode command : new ObjectMapper().readTree(dir.resolve("mongodb.json").toFile())) {
                Document answer = db.runCommand(Document.parse(command.toString()));
                if (answer.get("writeErrors") != null || !Double.valueOf(1).equals(((Number) answer.get("ok")).doubleValue())) {
                    throw new IllegalStateException("examples/seed/mongodb.json failed: " + answer.toJson());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try (ElasticClient es = new ElasticClient(new ConnectionSecrets.Elastic(stack.elastic().url(), null, null, null))) {
            for (HttpRequestSpec r : HttpScriptParser.parse("elasticsearch.http", Files.readString(dir.resolve("elasticsearch.http")))) {
                ElasticClient.Reply reply = es.send(r.method(), r.path(), r.body());
                if (reply.status() / 100 != 2 || reply.body().path("errors").asBoolean()) {
                    throw new IllegalStateException("examples/seed/elasticsearch.http line " + r.line() + " failed: HTTP " + reply.status());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return true;
    }
}

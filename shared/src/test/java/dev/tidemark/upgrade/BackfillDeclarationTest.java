package dev.tidemark.upgrade;

import dev.tidemark.elastic.ElasticReindex;
import dev.tidemark.error.ValidationException;
import dev.tidemark.migration.Checksums;
import dev.tidemark.migration.MigrationScript;
import dev.tidemark.migration.MigrationVersion;
import dev.tidemark.postgres.PostgresBackfill;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Backfill and reindex declarations are read strictly: a hostile or careless file is refused before anything runs. */
class BackfillDeclarationTest {

    private static MigrationScript file(String name, String content) {
        return new MigrationScript(MigrationVersion.parse("9"), "x", name, content, Checksums.of(content));
    }

    private static MigrationScript pg(String json) {
        return file("V9__backfill.sql", "-- fills the new column\n/* tidemark:backfill\n" + json + "\n*/\n");
    }

    @Test
    void aPostgresBackfillWhoseSqlCouldLeaveTheUpdateItIsPutInIsRefusedNamingTheField() {
        assertThat(PostgresBackfill.declared(pg("{\"table\": \"app.users\", \"key\": \"id\", \"set\": \"a = lower(b)\", \"where\": \"a IS NULL\"}")))
            .hasValueSatisfying(s -> assertThat(s.batchSize()).isEqualTo(1000));
        assertThatThrownBy(() -> PostgresBackfill.declared(pg("{\"table\": \"users\", \"key\": \"id\", \"set\": \"a = 1; DROP TABLE users\"}")))
            .isInstanceOf(ValidationException.class).hasMessageStartingWith("migration V9__backfill.sql: backfill.set: ';'");
        assertThatThrownBy(() -> PostgresBackfill.declared(pg("{\"table\": \"users\", \"key\": \"id\", \"set\": \"a = 1\", \"where\": \"true) OR (true\"}")))
            .isInstanceOf(ValidationException.class).hasMessageContaining("backfill.where: unbalanced parentheses");
        assertThatThrownBy(() -> PostgresBackfill.declared(pg("{\"table\": \"users; x\", \"key\": \"id\", \"set\": \"a = 1\"}")))
            .isInstanceOf(ValidationException.class).hasMessageContaining("backfill.table");
        assertThatThrownBy(() -> PostgresBackfill.declared(pg("{\"table\": \"users\", \"key\": \"id\", \"set\": \"a = 1\", \"sql\": \"x\"}")))
            .isInstanceOf(ValidationException.class).hasMessageContaining("backfill.sql: unknown field");
        assertThatThrownBy(() -> PostgresBackfill.declared(pg("{\"table\": \"users\", \"key\": \"id\", \"set\": \"a = 1\", \"batchSize\": 0}")))
            .isInstanceOf(ValidationException.class).hasMessageContaining("backfill.batchSize: expected a whole number from 1 to 100000");
        assertThatThrownBy(() -> PostgresBackfill.declared(file("V9__backfill.sql",
            "/* tidemark:backfill {\"table\": \"users\", \"key\": \"id\", \"set\": \"a = 1\"} */\nDELETE FROM users;\n")))
            .isInstanceOf(ValidationException.class).hasMessageContaining("the file must hold only");
        assertThat(PostgresBackfill.declared(file("V9__plain.sql", "UPDATE users SET a = 1 WHERE id = 2;"))).isEmpty();
    }

    @Test
    void anElasticsearchReindexDeclarationIsReadStrictly() {
        String ok = "PUT /_index_template/x\n{}\n\nPOST /_tidemark/reindex\n{\"alias\": \"tracks\", \"index\": \"tracks-v2\", \"catchUpField\": \"updated_at\"}\n";
        assertThat(ElasticReindex.declared(file("V4__r.http", ok))).hasValueSatisfying(s -> {
            assertThat(s.index()).isEqualTo("tracks-v2");
            assertThat(s.lagMillis()).isEqualTo(2000);
        });
        assertThatThrownBy(() -> ElasticReindex.declared(file("V4__r.http", ok.replace("tracks-v2", "tracks"))))
            .isInstanceOf(ValidationException.class).hasMessageContaining("reindex.index: must differ from the alias");
        assertThatThrownBy(() -> ElasticReindex.declared(file("V4__r.http", ok.replace("tracks-v2", "../_all"))))
            .isInstanceOf(ValidationException.class).hasMessageContaining("reindex.index: expected an index or alias name");
        assertThatThrownBy(() -> ElasticReindex.declared(file("V4__r.http", ok.replace("\"catchUpField\"", "\"script\": \"x\", \"catchUpField\""))))
            .isInstanceOf(ValidationException.class).hasMessageContaining("reindex.script: unknown field");
        assertThatThrownBy(() -> ElasticReindex.declared(file("V4__r.http", ok + "\n" + ok.substring(ok.indexOf("POST")))))
            .isInstanceOf(ValidationException.class).hasMessageContaining("a second reindex");
        assertThatThrownBy(() -> ElasticReindex.declared(file("V4__r.http", "DELETE /_tidemark/reindex\n")))
            .isInstanceOf(ValidationException.class).hasMessageContaining("expected 'POST /_tidemark/reindex'");
    }
}

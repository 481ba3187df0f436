package dev.tidemark.local;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.json.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code bin/tidemark}'s pipeline commands on migration directories. */
class TidemarkCliTest {

    private record Run(int exit, String out) {
    }

    private static Run run(String... args) {
        PrintStream stdout = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            int exit = TidemarkCli.commandLine().execute(args);
            return new Run(exit, captured.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(stdout);
        }
    }

    @Test
    void lintExitsOneOnAnUnapprovedErrorAndPrintsRuleFileLineAndFix(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("postgres"));
        Files.writeString(dir.resolve("postgres/V1__orders.sql"), "CREATE TABLE orders (id bigint PRIMARY KEY);\n\nDROP TABLE legacy_orders;\n");
        Run run = run("lint", "--migrations", dir.toString());
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.out()).contains("ERROR   PG004 postgres/V1__orders.sql:3 DROP TABLE legacy_orders deletes the table and its data",
            "ERROR   ZD001 postgres/V1__orders.sql:3 PG004 (drop-table) in an expand migration", "fix: mark the migration 'tidemark:phase contract'",
            "WARNING TM001 postgres/V1__orders.sql:1", "postgres: 1 file(s), 3 finding(s), 2 blocking");
        assertThat(run.out().strip()).as("every command ends with a summary").endsWith("lint: read postgres 1 file(s); 3 finding(s), 2 blocking; exit 1");
        Files.writeString(dir.resolve("postgres/V1__orders.sql"), "-- tidemark:approve PG004 exported to s3://backups/legacy_orders (ticket 812)\n"
            + "-- tidemark:phase contract\nCREATE TABLE orders (id bigint PRIMARY KEY);\nDROP TABLE legacy_orders;\n");
        Run approved = run("lint", "--migrations", dir.toString(), "--json");
        assertThat(approved.exit()).isZero();
        JsonNode json = Json.MAPPER.readTree(approved.out());
        assertThat(json.get(0).path("findings").findValuesAsText("approval")).contains("exported to s3://backups/legacy_orders (ticket 812)");
    }

    @Test
    void anAppliedHistoryIsAdoptedWithABaselineAndApprovalsOutsideItsFilesAndItsFilesNeverChange(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("postgres"));
        Files.writeString(dir.resolve("postgres/V1__legacy.sql"), "CREATE TABLE legacy (id bigint PRIMARY KEY);\nDROP TABLE older;\n");
        Files.writeString(dir.resolve("postgres/U1__legacy.sql"), "DROP TABLE legacy;\n");
        String v1 = Files.readString(dir.resolve("postgres/V1__legacy.sql"));
        assertThat(run("lint", "--migrations", dir.toString()).exit()).isEqualTo(1);

        Run adopt = run("lint", "--migrations", dir.toString(), "--baseline", "current");
        assertThat(adopt.exit()).as(adopt.out()).isZero();
        assertThat(adopt.out()).contains("postgres: baseline 1 written to " + dir.resolve("postgres/lint-approvals.json"),
            "approved: baseline 1");
        assertThat(Files.readString(dir.resolve("postgres/V1__legacy.sql"))).as("the applied file keeps its checksum").isEqualTo(v1);

        // a new version's finding blocks again, until an approval beside the files names its version, rule and statement
        Files.writeString(dir.resolve("postgres/V2__drop.sql"), "-- tidemark:phase contract\nDROP TABLE legacy;\n");
        Files.writeString(dir.resolve("postgres/U2__drop.sql"), "CREATE TABLE legacy (id bigint PRIMARY KEY);\n");
        Run blocked = run("lint", "--migrations", dir.toString());
        assertThat(blocked.exit()).isEqualTo(1);
        assertThat(blocked.out()).contains("ERROR   PG004 postgres/V2__drop.sql:2");
        String hash = "sha256:" + java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
            .digest("DROP TABLE legacy;".getBytes(StandardCharsets.UTF_8)));
        Files.writeString(dir.resolve("postgres/lint-approvals.json"), "{\"baseline\": \"1\", \"approvals\": [{\"version\": \"2\", \"rule\": "
            + "\"PG004\", \"statement\": \"" + hash + "\", \"reason\": \"exported first (ticket 901)\"}]}");
        Run approved = run("lint", "--migrations", dir.toString());
        assertThat(approved.exit()).as(approved.out()).isZero();
        assertThat(approved.out()).contains("approved: exported first (ticket 901)");

        Files.writeString(dir.resolve("postgres/lint-approvals.json"), "{\"approvals\": [{\"version\": \"2\", \"rule\": \"PG004\", \"statement\": "
            + "\"sha256:" + "0".repeat(64) + "\", \"reason\": \"another statement\"}]}");
        assertThat(run("lint", "--migrations", dir.toString()).exit()).as("an approval of another statement approves nothing").isEqualTo(1);
        Files.writeString(dir.resolve("postgres/lint-approvals.json"), "{\"approvals\": [{\"version\": \"2\", \"rule\": \"XX999\"}]}");
        Run malformed = run("lint", "--migrations", dir.toString());
        assertThat(malformed.exit()).isEqualTo(2);
        assertThat(malformed.out()).contains("lint-approvals.json: approvals[0].rule: unknown rule 'XX999'");
    }

    @Test
    void lintOfAMalformedApprovalMarkerCannotRun(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("mongodb"));
        Files.writeString(dir.resolve("mongodb/V1__x.json"), "[\n  \"tidemark:approve MG001\",\n  {\"drop\": \"x\"}\n]\n");
        Run run = run("lint", "--migrations", dir.toString());
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.out()).contains("lint could not run: V1__x.json:2: approval marker is malformed");
    }

    @Test
    void reportWritesMarkdownAndJsonPerStoreFromLintAndReversibility(@TempDir Path out) throws Exception {
        Path examples = LocalRollout.findRepo(Path.of("")).resolve("examples");
        Run run = run("report", "--migrations", examples.toString(), "--store", "mongodb", "--out", out.toString());
        assertThat(run.exit()).isZero();
        String md = Files.readString(out.resolve("mongodb.md"));
        assertThat(md).contains("## 2 — add indexes (`V2__add_indexes.json`)", "### Rollback plan", "Rollback to 1 runs U2__add_indexes.json");
        JsonNode json = Json.MAPPER.readTree(out.resolve("mongodb.json").toFile());
        assertThat(json.path("migrations")).hasSize(5);
        assertThat(json.path("migrations").findValuesAsText("reversibility")).containsOnly("RESTORED");
    }

    @Test
    void nothingPassesSilently(@TempDir Path dir) throws Exception {
        Run missing = run("lint", "--migrations", dir.resolve("db").toString());
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.out()).contains("lint could not run: --migrations: no such directory: " + dir.resolve("db"));

        Files.createDirectories(dir.resolve("db"));
        Files.writeString(dir.resolve("db/V1__orders.sql"), "CREATE TABLE orders (id bigint PRIMARY KEY);\n");
        Run flat = run("lint", "--migrations", dir.resolve("db").toString());
        assertThat(flat.exit()).as("a flat folder without --store").isEqualTo(2);
        assertThat(flat.out()).contains("holds no postgres/, mongodb/ or elasticsearch/ folder; for a flat folder of one store's migrations, "
            + "name the store with --store");

        Run withStore = run("lint", "--migrations", dir.resolve("db").toString(), "--store", "postgres");
        assertThat(withStore.exit()).isZero();
        assertThat(withStore.out().strip()).endsWith("lint: read postgres 1 file(s); 1 finding(s), 0 blocking; exit 0");

        Run otherStore = run("check-reversibility", "--migrations", dir.resolve("db").toString(), "--store", "mongodb");
        assertThat(otherStore.exit()).isEqualTo(2);
        assertThat(otherStore.out()).contains("check-reversibility could not run: --migrations: " + dir.resolve("db")
            + " holds no mongodb migration (V<version>__<description>.json)");

        Run badStore = run("lint", "--migrations", dir.resolve("db").toString(), "--store", "Postgres");
        assertThat(badStore.exit()).isEqualTo(2);
        assertThat(badStore.out()).contains("--store: 'Postgres' is not one of postgres, mongodb, elasticsearch");
    }

    @Test
    void aRelativePathMeansTheCallersDirectory(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("db/postgres"));
        Files.writeString(dir.resolve("db/postgres/V1__orders.sql"), "CREATE TABLE orders (id bigint PRIMARY KEY);\n");
        String before = System.getProperty("tidemark.cwd");
        System.setProperty("tidemark.cwd", dir.toString());
        try {
            Run run = run("lint", "--migrations", "db");
            assertThat(run.exit()).as(run.out()).isZero();
            assertThat(run.out()).contains("lint: read postgres 1 file(s)");
        } finally {
            if (before == null) {
                System.clearProperty("tidemark.cwd");
            } else {
                System.setProperty("tidemark.cwd", before);
            }
        }
    }
}

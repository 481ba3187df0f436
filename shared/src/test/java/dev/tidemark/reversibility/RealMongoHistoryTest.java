package dev.tidemark.reversibility;

import dev.tidemark.lint.LintReport;
import dev.tidemark.lint.Linter;
import dev.tidemark.lint.Severity;
import dev.tidemark.migration.Checksums;
import dev.tidemark.migration.MigrationScript;
import dev.tidemark.migration.MigrationVersion;
import dev.tidemark.migration.Store;
import dev.tidemark.servers.MongoServer;
import dev.tidemark.testing.ServersExtension;
import dev.tidemark.testing.TestServers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A MongoDB history of 30 versions (collections with validators, compound, unique and sparse indexes, seed data, index
 * drops), with three defects planted on purpose: V12's undo is empty, V16's undo drops an index under a wrong name,
 * V29's undo recreates a dropped index on the wrong key. Each is found with its version, and nothing else.
 */
@ExtendWith(ServersExtension.class)
class RealMongoHistoryTest {

    private record Pair(String name, String up, String down) {
    }

    static List<Pair> history() {
        List<Pair> out = new ArrayList<>();
        for (int r = 0; r < 3; r++) {
            String c = "c_" + r;
            String d = "d_" + r;
            String e = "e_" + r;
            out.add(new Pair("create_" + c, "[{\"create\": \"" + c + "\", \"validator\": {\"$jsonSchema\": {\"bsonType\": \"object\", \"required\": [\"email\"]}}}]",
                "[{\"drop\": \"" + c + "\"}]"));
            out.add(new Pair("index_a_" + r, "[{\"createIndexes\": \"" + c + "\", \"indexes\": [{\"key\": {\"a\": 1}, \"name\": \"a_" + r + "\"}]}]", r == 1
                ? "[]" // planted: an empty undo of a new index
                : "[{\"dropIndexes\": \"" + c + "\", \"index\": \"a_" + r + "\"}]"));
            out.add(new Pair("unique_email_" + r, "[{\"createIndexes\": \"" + c + "\", \"indexes\": [{\"key\": {\"email\": 1}, \"name\": \"email_" + r
                + "\", \"unique\": true}]}]", "[{\"dropIndexes\": \"" + c + "\", \"index\": \"email_" + r + "\"}]"));
            out.add(new Pair("create_" + d, "[{\"create\": \"" + d + "\"}]", "[{\"drop\": \"" + d + "\"}]"));
            out.add(new Pair("seed_" + d, "[{\"insert\": \"" + d + "\", \"documents\": [{\"_id\": 1, \"x\": 1, \"y\": 2}, {\"_id\": 2, \"x\": 3, \"y\": 4}]}]",
                "[{\"delete\": \"" + d + "\", \"deletes\": [{\"q\": {\"_id\": {\"$in\": [1, 2]}}, \"limit\": 0}]}]"));
            out.add(new Pair("compound_" + d, "[{\"createIndexes\": \"" + d + "\", \"indexes\": [{\"key\": {\"x\": 1, \"y\": -1}, \"name\": \"xy_" + r + "\"}]}]",
                r == 1
                    ? "[{\"dropIndexes\": \"" + d + "\", \"index\": \"yx_" + r + "\"}]" // planted: the wrong index name
                    : "[{\"dropIndexes\": \"" + d + "\", \"index\": \"xy_" + r + "\"}]"));
            out.add(new Pair("create_" + e, "[{\"create\": \"" + e + "\"}]", "[{\"drop\": \"" + e + "\"}]"));
            out.add(new Pair("sparse_" + e, "[{\"createIndexes\": \"" + e + "\", \"indexes\": [{\"key\": {\"s\": 1}, \"name\": \"s_" + r
                + "\", \"sparse\": true}]}]", "[{\"dropIndexes\": \"" + e + "\", \"index\": \"s_" + r + "\"}]"));
            out.add(new Pair("drop_index_a_" + r, "[{\"dropIndexes\": \"" + c + "\", \"index\": \"a_" + r + "\"}]", r == 2
                ? "[{\"createIndexes\": \"" + c + "\", \"indexes\": [{\"key\": {\"b\": 1}, \"name\": \"a_" + r + "\"}]}]" // planted: the wrong key
                : "[{\"createIndexes\": \"" + c + "\", \"indexes\": [{\"key\": {\"a\": 1}, \"name\": \"a_" + r + "\"}]}]"));
            out.add(new Pair("create_f_" + r, "[{\"create\": \"f_" + r + "\"}]", "[{\"drop\": \"f_" + r + "\"}]"));
        }
        return out;
    }

    private static List<MigrationScript> scripts(boolean undo) {
        List<Pair> pairs = history();
        List<MigrationScript> out = new ArrayList<>();
        for (int i = 0; i < pairs.size(); i++) {
            String content = undo ? pairs.get(i).down() : pairs.get(i).up();
            out.add(new MigrationScript(MigrationVersion.parse(Integer.toString(i + 1)), pairs.get(i).name(), (undo ? "U" : "V") + (i + 1) + "__"
                + pairs.get(i).name() + ".json", content, Checksums.of(content)));
        }
        return out;
    }

    @Test
    void everyPlantedDefectIsFoundWithItsVersionAndNothingElseIsReported(MongoServer server) {
        List<MigrationScript> versioned = scripts(false);
        List<MigrationScript> undo = scripts(true);
        assertThat(versioned).hasSize(30);
        LintReport lint = Linter.lint(Store.MONGODB, versioned, undo, List.of());
        assertThat(lint.findings()).filteredOn(f -> f.severity() != Severity.INFO).isEmpty();

        long t0 = System.nanoTime();
        ReversibilityReport report = ReversibilityCheck.onMongo(server.uri(), TestServers.unique("history"), versioned, undo);
        System.out.printf("real mongodb history: 30 versions checked in %d ms; outcomes %s; lint findings %d%n", (System.nanoTime() - t0) / 1_000_000,
            report.versions().stream().collect(java.util.stream.Collectors.groupingBy(ReversibilityReport.VersionCheck::outcome, TreeMap::new,
                java.util.stream.Collectors.counting())), lint.findings().size());
        Map<Integer, String> defects = new TreeMap<>();
        report.versions().stream().filter(v -> !v.outcome().equals("RESTORED"))
            .forEach(v -> defects.put(Integer.parseInt(v.version().toString()), v.outcome()));
        assertThat(defects).containsExactlyEntriesOf(new TreeMap<>(Map.of(12, "EMPTY_UNDO", 16, "UNDO_FAILED", 29, "NOT_RESTORED")));
        assertThat(report.versions().get(28).differences()).anyMatch(d -> d.startsWith("~ index.c_2.a_2:") && d.contains("\"b\""));
        assertThat(report.reapplied()).isTrue();
    }
}

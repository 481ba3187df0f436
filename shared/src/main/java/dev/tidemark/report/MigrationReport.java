package dev.tidemark.report;

import dev.tidemark.elastic.HttpScriptParser;
import dev.tidemark.lint.Finding;
import dev.tidemark.lint.LintReport;
import dev.tidemark.migration.MigrationScript;
import dev.tidemark.migration.MigrationVersion;
import dev.tidemark.migration.Store;
import dev.tidemark.mongo.MongoEngine;
import dev.tidemark.postgres.SqlStatements;
import dev.tidemark.reversibility.ReversibilityReport;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The document seed 004 asks for with every migration (overview of the changes, data-loss risk, reversibility, how it
 * was tested, rollback plan), generated from the files, the lint and the reversibility check, as JSON (this record)
 * and Markdown ({@link #toMarkdown()}).
 *
 * @param store the store
 * @param migrations one entry per versioned migration, oldest first
 */
public record MigrationReport(Store store, List<Entry> migrations) {

    /** Canonical constructor: copies the list. */
    public MigrationReport {
        migrations = List.copyOf(migrations);
    }

    /**
     * One migration's document.
     *
     * @param version the version
     * @param script the file
     * @param description the description
     * @param changes the statements, commands or requests it runs, in order
     * @param dataLossRisk {@code none}, {@code approved} or {@code unapproved}
     * @param findings its lint findings
     * @param reversibility the reversibility check's outcome ({@code RESTORED}, {@code NOT_RESTORED}, {@code NO_UNDO}, ...)
     * @param reversibilityDifferences what the undo did not restore
     * @param tested how it was tested
     * @param rollbackPlan how to go back
     */
    public record Entry(MigrationVersion version, String script, String description, List<String> changes, String dataLossRisk,
                        List<Finding> findings, String reversibility, List<String> reversibilityDifferences, String tested, String rollbackPlan) {

        /** Canonical constructor: copies the lists. */
        public Entry {
            changes = List.copyOf(changes);
            findings = List.copyOf(findings);
            reversibilityDifferences = List.copyOf(reversibilityDifferences);
        }
    }

    /** Rules whose findings are data-loss risks. */
    private static final java.util.Set<String> DATA_LOSS = java.util.Set.of("PG004", "PG005", "PG006", "PG007", "PG008", "PG009", "MG001",
        "MG003", "ES002");

    /**
     * @param store the store
     * @param versioned the versioned migrations
     * @param undo the undo migrations
     * @param lint the lint of the set
     * @param reversibility the reversibility check of the set
     * @return the report
     */
    public static MigrationReport of(Store store, List<MigrationScript> versioned, List<MigrationScript> undo, LintReport lint,
                                     ReversibilityReport reversibility) {
        Map<MigrationVersion, MigrationScript> undoByVersion = undo.stream().collect(Collectors.toMap(MigrationScript::version, Function.identity()));
        Map<MigrationVersion, ReversibilityReport.VersionCheck> checks = reversibility.versions().stream()
            .collect(Collectors.toMap(ReversibilityReport.VersionCheck::version, Function.identity()));
        List<Entry> entries = new ArrayList<>();
        for (MigrationScript s : versioned) {
            List<Finding> findings = lint.findings().stream().filter(f -> s.version().equals(f.version())).toList();
            List<Finding> loss = findings.stream().filter(f -> DATA_LOSS.contains(f.rule())).toList();
            String risk = loss.isEmpty() ? "none" : loss.stream().anyMatch(Finding::blocking) ? "unapproved" : "approved";
            ReversibilityReport.VersionCheck check = checks.get(s.version());
            String outcome = check == null ? "NOT_CHECKED" : check.outcome();
            MigrationScript u = undoByVersion.get(s.version());
            String plan = u == null
                ? "No undo migration: restore from a backup or a bulk export taken before the release."
                : "Rollback to " + below(versioned, s.version()) + " runs " + u.script() + " (" + changes(store, u).size() + " step(s))"
                    + (outcome.equals("RESTORED") ? "; the check showed it restores the schema." : "; the check showed: " + outcome + ".");
            String tested = "Reversibility check on a scratch " + store.id() + " target: migrated version by version, undone step by step"
                + " comparing catalog snapshots, then migrated again (" + (reversibility.reapplied() ? "same schema" : "schema differed") + ")."
                + " Lint: " + findings.size() + " finding(s).";
            entries.add(new Entry(s.version(), s.script(), s.description(), changes(store, s), risk, findings, outcome,
                check == null ? List.of() : check.differences(), tested, plan));
        }
        return new MigrationReport(store, entries);
    }

    private static String below(List<MigrationScript> versioned, MigrationVersion v) {
        MigrationVersion prev = null;
        for (MigrationScript s : versioned) {
            if (s.version().compareTo(v) < 0) {
                prev = s.version();
            }
        }
        return prev == null ? "0 (nothing applied)" : prev.toString();
    }

    private static List<String> changes(Store store, MigrationScript s) {
        return switch (store) {
            case POSTGRES -> SqlStatements.split(s.script(), s.content()).stream()
                .map(x -> oneLine(x.sql().replaceAll("(?m)^\\s*--.*$", ""))).toList();
            case MONGODB -> MongoEngine.parseCommands(s).stream().map(c -> oneLine(c.toJson())).toList();
            case ELASTICSEARCH -> HttpScriptParser.parse(s.script(), s.content()).stream().map(r -> r.method() + " " + r.path()).toList();
        };
    }

    private static String oneLine(String text) {
        String one = text.replaceAll("\\s+", " ").strip();
        return one.length() > 160 ? one.substring(0, 157) + "..." : one;
    }

    /** @return the report as Markdown: one section per migration with the five headings of seed 004 */
    public String toMarkdown() {
        StringBuilder md = new StringBuilder("# Migrations: " + store.id() + "\n");
        for (Entry e : migrations) {
            md.append("\n## ").append(e.version()).append(" — ").append(e.description()).append(" (`").append(e.script()).append("`)\n\n");
            md.append("### Changes\n\n");
            e.changes().forEach(c -> md.append("- `").append(c.replace("`", "'")).append("`\n"));
            md.append("\n### Data-loss risk\n\n").append(e.dataLossRisk()).append('\n');
            for (Finding f : e.findings()) {
                md.append("- ").append(f.severity()).append(' ').append(f.rule()).append(" line ").append(f.line()).append(": ").append(f.message())
                    .append(f.approval() == null ? " — fix: " + f.fix() : " — approved: " + f.approval()).append('\n');
            }
            md.append("\n### Reversibility\n\n").append(e.reversibility()).append('\n');
            e.reversibilityDifferences().forEach(d -> md.append("- `").append(d).append("`\n"));
            md.append("\n### How it was tested\n\n").append(e.tested()).append('\n');
            md.append("\n### Rollback plan\n\n").append(e.rollbackPlan()).append('\n');
        }
        return md.toString();
    }
}

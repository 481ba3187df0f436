package dev.tidemark.lint;

import dev.tidemark.migration.ChecksumDrift;
import dev.tidemark.migration.MigrationScript;
import dev.tidemark.migration.Store;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Lints a store's migration set before it runs: versioned migrations in version order (rules may depend on what
 * earlier migrations created), undo migrations only for their presence (undoing is expected to drop things). Run by
 * every upgrade on the migrations about to run, and by {@code bin/tidemark lint} in pipelines.
 */
public final class Linter {

    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([^}]*)}");

    private Linter() {
    }

    /**
     * @param store the store
     * @param versioned the versioned migrations
     * @param undo the undo migrations
     * @param drift applied migrations whose files changed (from the schema history), or empty when not known
     * @return the findings
     * @throws dev.tidemark.error.ValidationException naming file and line for a malformed approval marker
     */
    public static LintReport lint(Store store, List<MigrationScript> versioned, List<MigrationScript> undo, List<ChecksumDrift> drift) {
        return lint(store, versioned, undo, drift, null);
    }

    /**
     * As {@link #lint(Store, List, List, List)}, with the erasure plan's rules (TM003, TM004) when the location holds one.
     *
     * @param erasurePlan the content of {@code erasure.json}, or {@code null}
     * @return the findings
     */
    public static LintReport lint(Store store, List<MigrationScript> versioned, List<MigrationScript> undo, List<ChecksumDrift> drift,
                                  String erasurePlan) {
        return lint(store, versioned, undo, drift, erasurePlan, LintApprovals.NONE);
    }

    /**
     * As {@link #lint(Store, List, List, List, String)}, with approvals and a baseline kept outside the migration files
     * ({@link LintApprovals}, {@code lint-approvals.json}).
     *
     * @param external the approvals beside the migrations
     * @return the findings
     */
    public static LintReport lint(Store store, List<MigrationScript> versioned, List<MigrationScript> undo, List<ChecksumDrift> drift,
                                  String erasurePlan, LintApprovals external) {
        List<MigrationScript> ordered = versioned.stream().sorted(Comparator.comparing(MigrationScript::version))
            .map(Linter::withPlaceholdersNamed).toList();
        List<Finding> findings = new ArrayList<>();
        List<Approvals> approvals = new ArrayList<>();
        for (MigrationScript s : ordered) {
            approvals.add(Approvals.of(s.script(), s.content()));
            dev.tidemark.migration.Phase.of(s); // a malformed phase marker is refused like a malformed approval
        }
        for (MigrationScript u : undo) {
            Approvals.of(u.script(), u.content());
        }
        Sink sink = new Sink(findings, ordered, approvals, external);
        switch (store) {
            case POSTGRES -> PostgresLint.lint(ordered, sink);
            case MONGODB -> MongoLint.lint(ordered, sink);
            case ELASTICSEARCH -> ElasticLint.lint(ordered, sink);
        }
        phases(ordered, sink, findings);
        if (erasurePlan != null) {
            ErasurePlanLint.lint(store, erasurePlan, ordered, sink, findings);
        }
        Set<String> undone = undo.stream().map(u -> u.version().toString()).collect(Collectors.toSet());
        for (MigrationScript s : ordered) {
            if (!undone.contains(s.version().toString())) {
                sink.add(Rule.TM001, s, 1, "no undo migration U" + s.version() + "__*." + store.extension() + ": rollback cannot go below "
                    + s.version());
            }
        }
        for (ChecksumDrift d : drift) {
            ordered.stream().filter(s -> s.version().equals(d.version())).findFirst()
                .ifPresent(s -> sink.add(Rule.TM002, s, 1, "changed after it was applied (" + d.describe() + ")"));
        }
        findings.sort(Comparator.comparing((Finding f) -> f.version() == null ? null : f.version(),
            Comparator.nullsFirst(Comparator.naturalOrder())).thenComparingInt(Finding::line).thenComparing(Finding::rule));
        return new LintReport(store, versioned.size() + undo.size(), findings);
    }

    /** The rules whose finding means data is removed: such a migration belongs to the contract phase. */
    static final Set<String> DATA_LOSS = Set.of("PG004", "PG005", "PG006", "PG007", "PG008", "PG009", "MG001", "MG002", "MG003", "MG004", "ES002");

    /** ZD001: a data-loss finding (approved or not) in a migration of the expand phase (the default). */
    private static void phases(List<MigrationScript> ordered, Sink sink, List<Finding> findings) {
        java.util.Map<String, MigrationScript> byFile = new java.util.HashMap<>();
        ordered.forEach(s -> byFile.put(s.script(), s));
        for (Finding f : List.copyOf(findings)) {
            MigrationScript s = byFile.get(f.file());
            if (s != null && DATA_LOSS.contains(f.rule()) && dev.tidemark.migration.Phase.of(s) == dev.tidemark.migration.Phase.EXPAND) {
                sink.add(Rule.ZD001, s, f.line(), f.rule() + " (" + Rule.valueOf(f.rule()).title() + ") in an expand migration");
            }
        }
    }

    /**
     * ZD002, on the migrations one rollout runs: an expand migration after a contract one. Known only against a target's
     * schema history (which migrations are pending), so the upgrade adds it to the lint of the files.
     *
     * @param report the lint of the target's files
     * @param pending the migrations the rollout runs, in version order
     * @return the report with a ZD002 finding on each expand migration after the first contract one
     */
    public static LintReport withPhaseOrder(LintReport report, List<MigrationScript> pending) {
        List<Finding> out = new ArrayList<>(report.findings());
        MigrationScript contract = null;
        for (MigrationScript s : pending) {
            dev.tidemark.migration.Phase p = dev.tidemark.migration.Phase.of(s);
            if (p == dev.tidemark.migration.Phase.CONTRACT && contract == null) {
                contract = s;
            } else if (p == dev.tidemark.migration.Phase.EXPAND && contract != null) {
                out.add(new Finding(Rule.ZD002.name(), Rule.ZD002.severity(), s.version(), s.script(), 1, "expand migration after the contract "
                    + "migration " + contract.script() + " in one rollout", Rule.ZD002.fix(), Approvals.of(s.script(), s.content()).reason(Rule.ZD002)));
            }
        }
        return new LintReport(report.store(), report.filesChecked(), out);
    }

    /** Lint reads files without placeholder values: {@code ${name}} becomes the identifier {@code name}. */
    private static MigrationScript withPlaceholdersNamed(MigrationScript s) {
        String content = PLACEHOLDER.matcher(s.content()).replaceAll(m -> m.group(1).replaceAll("\\W", "_"));
        return new MigrationScript(s.version(), s.description(), s.script(), content, s.checksum());
    }

    /** Collects findings, applying each file's approvals. */
    static final class Sink {
        private final List<Finding> findings;
        private final List<MigrationScript> scripts;
        private final List<Approvals> approvals;
        private final LintApprovals external;

        Sink(List<Finding> findings, List<MigrationScript> scripts, List<Approvals> approvals, LintApprovals external) {
            this.external = external;
            this.findings = findings;
            this.scripts = scripts;
            this.approvals = approvals;
        }

        void add(Rule rule, MigrationScript script, int line, String message) {
            String reason = approvals.get(scripts.indexOf(script)).reason(rule);
            if (reason == null) {
                reason = external.reason(rule, script, line);
            }
            findings.add(new Finding(rule.name(), rule.severity(), script.version(), script.script(), line, message, rule.fix(), reason));
        }
    }
}

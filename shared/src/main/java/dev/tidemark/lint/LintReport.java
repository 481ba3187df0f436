package dev.tidemark.lint;

import dev.tidemark.error.LintFailedException;
import dev.tidemark.migration.MigrationVersion;
import dev.tidemark.migration.Store;

import java.util.Collection;
import java.util.List;

/**
 * The lint of one store's migration set.
 *
 * @param store the store
 * @param filesChecked how many files were read (versioned and undo)
 * @param findings the findings, by version then line
 */
public record LintReport(Store store, int filesChecked, List<Finding> findings) {

    /** Canonical constructor: copies the list. */
    public LintReport {
        findings = List.copyOf(findings);
    }

    /** @return the findings that stop an upgrade (errors without approval) */
    public List<Finding> blocking() {
        return findings.stream().filter(Finding::blocking).toList();
    }

    /**
     * @param versions versions about to run
     * @return the findings in those versions (and TM002 drift findings, which concern the target as a whole)
     */
    public List<Finding> about(Collection<MigrationVersion> versions) {
        return findings.stream().filter(f -> f.rule().equals(Rule.TM002.name()) || versions.contains(f.version())).toList();
    }

    /**
     * @param target the target name
     * @param versions versions about to run
     * @throws LintFailedException listing the blocking findings in those versions
     */
    public void requireNoBlocking(String target, Collection<MigrationVersion> versions) {
        List<String> blocking = about(versions).stream().filter(Finding::blocking).map(Finding::describe).toList();
        if (!blocking.isEmpty()) {
            throw new LintFailedException(target, blocking);
        }
    }
}

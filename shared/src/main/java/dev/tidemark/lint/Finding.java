package dev.tidemark.lint;

import dev.tidemark.migration.MigrationVersion;

/**
 * One lint finding.
 *
 * @param rule the rule id, e.g. {@code PG004}
 * @param severity its severity
 * @param version the version of the file, or {@code null}
 * @param file the file name
 * @param line the 1-based line of the statement, command or request
 * @param message what was found
 * @param fix how to fix it
 * @param approval the reason given by the file's approval marker for this rule, or {@code null} when not approved
 */
public record Finding(String rule, Severity severity, MigrationVersion version, String file, int line, String message, String fix,
                      String approval) {

    /** @return whether it stops an upgrade: an error without approval */
    public boolean blocking() {
        return severity == Severity.ERROR && approval == null;
    }

    /** @return {@code RULE file:line message} */
    public String describe() {
        return rule + " " + file + ":" + line + " " + message;
    }
}

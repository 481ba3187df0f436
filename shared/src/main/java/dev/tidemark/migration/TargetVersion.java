package dev.tidemark.migration;

import dev.tidemark.error.ValidationException;

/**
 * Where a migrate call should stop: {@code latest} (every pending migration, Flyway's default), {@code current} (no
 * new migration) or a specific version (inclusive).
 *
 * @param version the version, or {@code null} for {@code latest}/{@code current}
 * @param keyword {@code latest}, {@code current}, or {@code null} when a version is given
 */
public record TargetVersion(MigrationVersion version, String keyword) {

    /** Every pending migration. */
    public static final TargetVersion LATEST = new TargetVersion(null, "latest");
    /** No new migration. */
    public static final TargetVersion CURRENT = new TargetVersion(null, "current");

    /**
     * @param text {@code latest}, {@code current}, a version, or {@code null} (= latest)
     * @return the target
     * @throws ValidationException naming the field {@code targetVersion} when malformed
     */
    public static TargetVersion parse(String text) {
        if (text == null || text.equals("latest")) {
            return LATEST;
        }
        if (text.equals("current")) {
            return CURRENT;
        }
        try {
            return new TargetVersion(MigrationVersion.parse(text), null);
        } catch (ValidationException e) {
            String shown = text.length() <= 64 && text.matches("[\\x20-\\x7e]+") ? "'" + text + "'" : "(empty, longer than 64 characters or unprintable)";
            throw new ValidationException("targetVersion: malformed version " + shown
                + "; expected exactly 'latest', 'current' or digits separated by '.', e.g. 3 or 1.2");
        }
    }

    /**
     * @param candidate a pending migration's version
     * @param current the current version, or {@code null}
     * @return whether a migrate to this target includes {@code candidate}
     */
    public boolean includes(MigrationVersion candidate, MigrationVersion current) {
        if (this == LATEST || "latest".equals(keyword)) {
            return true;
        }
        if ("current".equals(keyword)) {
            return false;
        }
        return candidate.compareTo(version) <= 0;
    }

    @Override
    public String toString() {
        return version != null ? version.toString() : keyword;
    }
}

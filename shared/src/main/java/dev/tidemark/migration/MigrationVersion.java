package dev.tidemark.migration;

import com.fasterxml.jackson.annotation.JsonValue;
import dev.tidemark.error.ValidationException;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A migration version as Flyway defines it: dot- or underscore-separated non-negative integers ({@code 1}, {@code 1.2},
 * {@code 2025_11_01}); {@code _} is shown as {@code .}. Compared part by part numerically, missing parts are zero.
 *
 * @param parts the numeric parts, at least one
 */
public record MigrationVersion(List<BigInteger> parts) implements Comparable<MigrationVersion> {

    private static final Pattern SHAPE = Pattern.compile("\\d+([._]\\d+)*");

    /** Canonical constructor: copies the parts. */
    public MigrationVersion {
        parts = List.copyOf(parts);
        if (parts.isEmpty()) {
            throw new ValidationException("version: empty");
        }
    }

    /**
     * @param text e.g. {@code 3}, {@code 1.2}, {@code 2025_11_01}
     * @return the version
     * @throws ValidationException if the text is not of that shape
     */
    public static MigrationVersion parse(String text) {
        if (text == null || text.length() > 64 || !SHAPE.matcher(text).matches()) {
            throw new ValidationException("version: malformed version " + (text == null || text.length() > 64 || !text.matches("[\\x20-\\x7e]*")
                ? "(missing, longer than 64 characters or unprintable)" : "'" + text + "'") + "; expected digits separated by '.' or '_', e.g. 3 or 1.2");
        }
        List<BigInteger> parts = new ArrayList<>();
        for (String p : text.split("[._]")) {
            parts.add(new BigInteger(p));
        }
        return new MigrationVersion(parts);
    }

    @Override
    public int compareTo(MigrationVersion o) {
        int n = Math.max(parts.size(), o.parts.size());
        for (int i = 0; i < n; i++) {
            BigInteger a = i < parts.size() ? parts.get(i) : BigInteger.ZERO;
            BigInteger b = i < o.parts.size() ? o.parts.get(i) : BigInteger.ZERO;
            int c = a.compareTo(b);
            if (c != 0) {
                return c;
            }
        }
        return 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MigrationVersion v && compareTo(v) == 0;
    }

    @Override
    public int hashCode() {
        List<BigInteger> trimmed = new ArrayList<>(parts);
        while (trimmed.size() > 1 && trimmed.getLast().signum() == 0) {
            trimmed.removeLast();
        }
        return trimmed.hashCode();
    }

    /** @return the dotted form, e.g. {@code 1.2} */
    @JsonValue
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (BigInteger p : parts) {
            if (!sb.isEmpty()) {
                sb.append('.');
            }
            sb.append(p);
        }
        return sb.toString();
    }
}

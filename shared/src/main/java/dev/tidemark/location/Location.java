package dev.tidemark.location;

import dev.tidemark.error.ValidationException;

/**
 * Where migrations are read from, in Flyway's notation plus S3 URLs: {@code filesystem:<dir>},
 * {@code classpath:<package/dir>} or {@code s3://<bucket>/<prefix>}. Any other scheme is refused.
 *
 * @param scheme {@code filesystem}, {@code classpath} or {@code s3}
 * @param bucket the S3 bucket, or {@code null}
 * @param path the directory, class-path directory or S3 prefix (without leading slash, may be empty for S3)
 */
public record Location(String scheme, String bucket, String path) {

    /**
     * @param text e.g. {@code s3://tidemark-migrations/postgres}
     * @return the location
     * @throws ValidationException naming the field {@code location} when the scheme is not allowed or a part is missing
     */
    public static Location parse(String text) {
        if (text == null || text.isBlank()) {
            throw new ValidationException("location: missing; expected filesystem:<dir>, classpath:<dir> or s3://<bucket>/<prefix>");
        }
        String t = text.trim();
        if (t.startsWith("filesystem:")) {
            String p = t.substring("filesystem:".length());
            if (p.isBlank()) {
                throw new ValidationException("location: filesystem: needs a directory");
            }
            return new Location("filesystem", null, p);
        }
        if (t.startsWith("classpath:")) {
            String p = t.substring("classpath:".length()).replaceAll("^/+", "").replaceAll("/+$", "");
            if (p.isBlank()) {
                throw new ValidationException("location: classpath: needs a directory");
            }
            return new Location("classpath", null, p);
        }
        if (t.startsWith("s3://")) {
            String rest = t.substring("s3://".length());
            int slash = rest.indexOf('/');
            String bucket = slash < 0 ? rest : rest.substring(0, slash);
            String prefix = slash < 0 ? "" : rest.substring(slash + 1).replaceAll("/+$", "");
            if (!bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
                throw new ValidationException("location: invalid S3 bucket name '" + bucket + "'");
            }
            return new Location("s3", bucket, prefix);
        }
        int colon = t.indexOf(':');
        String scheme = colon > 0 ? t.substring(0, colon) : t;
        throw new ValidationException("location: scheme '" + scheme + "' is not allowed; expected filesystem:, classpath: or s3://");
    }

    /**
     * A location given in an event ({@code targets[].location}), which may come from someone careless or hostile: parsed as
     * {@link #parse}, with no {@code .} or {@code ..} segment, no empty segment and no backslash, and accepted only under one
     * of the configured roots ({@code TIDEMARK_LOCATION_ROOTS}). Without a root of its scheme, {@code s3://} is accepted
     * anywhere (IAM decides which buckets the function may read) and {@code filesystem:} and {@code classpath:} nowhere,
     * so a deployed function never reads its own file system or class path for an event.
     *
     * @param text the event's value
     * @param roots the configured roots
     * @return the location
     * @throws ValidationException naming {@code location} when it is malformed or outside every root
     */
    public static Location parseOverride(String text, java.util.List<Location> roots) {
        Location l = parse(text);
        String p = l.path();
        if (p.contains("\\") || p.contains("//") && !l.scheme().equals("s3")) {
            throw new ValidationException("location: a backslash or an empty segment is not allowed");
        }
        for (String segment : p.split("/", -1)) {
            if (segment.equals("..") || segment.equals(".")) {
                throw new ValidationException("location: '.' and '..' segments are not allowed");
            }
        }
        java.util.List<Location> same = roots.stream().filter(r -> r.scheme().equals(l.scheme())).toList();
        if (same.isEmpty() && l.scheme().equals("s3")) {
            return l;
        }
        for (Location r : same) {
            if (java.util.Objects.equals(r.bucket(), l.bucket()) && (r.path().isEmpty() || p.equals(r.path()) || p.startsWith(r.path().endsWith("/")
                ? r.path() : r.path() + "/"))) {
                return l;
            }
        }
        throw new ValidationException("location: " + l.scheme() + " locations are accepted in events only under the configured roots"
            + (same.isEmpty() ? " (none is configured for " + l.scheme() + ")" : ""));
    }

    @Override
    public String toString() {
        return switch (scheme) {
            case "s3" -> "s3://" + bucket + (path.isEmpty() ? "" : "/" + path);
            default -> scheme + ":" + path;
        };
    }
}

package dev.tidemark.bulk;

import dev.tidemark.error.ValidationException;

/**
 * A bulk data folder in S3, {@code s3://bucket/prefix/}: the parts and {@code manifest.json} are written under it.
 *
 * @param bucket the bucket
 * @param prefix the key prefix, empty or ending in {@code /}
 */
public record S3Uri(String bucket, String prefix) {

    /**
     * @param field the field name, for messages
     * @param value {@code s3://bucket/prefix/} (the trailing slash is added when missing)
     * @param allowedBucket the only bucket bulk data may be read from or written to (the function's bulk bucket)
     * @return the folder
     * @throws ValidationException naming the field when the value is not an S3 URI or names another bucket
     */
    public static S3Uri parse(String field, String value, String allowedBucket) {
        if (value == null || !value.startsWith("s3://")) {
            throw new ValidationException(field + ": " + (value == null ? "missing" : "not an S3 URI") + "; expected s3://bucket/prefix/");
        }
        String rest = value.substring(5);
        int slash = rest.indexOf('/');
        String bucket = slash < 0 ? rest : rest.substring(0, slash);
        String prefix = slash < 0 ? "" : rest.substring(slash + 1);
        if (!bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
            throw new ValidationException(field + ": '" + bucket + "' is not a valid bucket name");
        }
        for (String segment : prefix.split("/", -1)) {
            if (segment.equals(".") || segment.equals("..") || segment.contains("\\")) {
                throw new ValidationException(field + ": '.', '..' and backslashes are not allowed in the prefix");
            }
        }
        if (prefix.contains("//") || prefix.startsWith("/")) {
            throw new ValidationException(field + ": the prefix '" + prefix + "' has an empty path segment");
        }
        if (!prefix.isEmpty() && !prefix.endsWith("/")) {
            prefix = prefix + "/";
        }
        if (allowedBucket == null || allowedBucket.isBlank()) {
            throw new ValidationException("TIDEMARK_BULK_BUCKET: not set; bulk data can only move through the configured bucket");
        }
        if (!bucket.equals(allowedBucket)) {
            throw new ValidationException(field + ": bucket '" + bucket + "' is not the configured bulk bucket '" + allowedBucket + "'");
        }
        return new S3Uri(bucket, prefix);
    }

    /** @param name a file name in the folder @return its key */
    public String key(String name) {
        return prefix + name;
    }

    @Override
    public String toString() {
        return "s3://" + bucket + "/" + prefix;
    }
}

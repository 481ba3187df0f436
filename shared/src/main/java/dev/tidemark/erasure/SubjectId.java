package dev.tidemark.erasure;

import dev.tidemark.error.ValidationException;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * The id of a data subject (GDPR Art. 4(1)) in an erasure request: checked against the erasure plan's id type before it
 * goes anywhere, always sent to a store as a bound value ({@code ?}, a BSON value, a JSON value), never spliced. Its
 * {@link #toString()} hides it, so it cannot reach a log, a result or an error by accident.
 *
 * @param value the id as the stores hold it, in text
 * @param type how the stores hold it
 */
public record SubjectId(String value, IdType type) {

    /** Longest id accepted: 256 characters. */
    public static final int MAX_LENGTH = 256;

    private static final Pattern INTEGER = Pattern.compile("-?[0-9]{1,19}");
    private static final Pattern UUID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    /** How the stores hold a subject's id: the plan's {@code subject.idType}. */
    public enum IdType {
        /** a 64-bit integer ({@code bigint}, {@code NumberLong}, a JSON number) */
        INTEGER,
        /** text */
        STRING,
        /** a UUID in its canonical lower-case text form */
        UUID;

        /** @return the name used in plans: {@code integer}, {@code string}, {@code uuid} */
        public String id() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * @param raw the id as the request gave it
     * @param type the plan's id type
     * @param field the request's field, for messages
     * @return the checked id
     * @throws ValidationException naming the field (never the value) when it is empty, longer than {@link #MAX_LENGTH},
     *                             holds a control character, or does not have the type's form
     */
    public static SubjectId parse(String raw, IdType type, String field) {
        if (raw == null || raw.isEmpty()) {
            throw new ValidationException(field + ": missing");
        }
        if (raw.length() > MAX_LENGTH) {
            throw new ValidationException(field + ": longer than " + MAX_LENGTH + " characters");
        }
        for (int i = 0; i < raw.length(); i++) {
            char ch = raw.charAt(i);
            if (ch < 0x20 || ch == 0x7f) {
                throw new ValidationException(field + ": holds a control character at position " + i);
            }
        }
        switch (type) {
            case INTEGER -> {
                if (!INTEGER.matcher(raw).matches()) {
                    throw new ValidationException(field + ": expected an integer (digits only), as the erasure plan's subject.idType says");
                }
                try {
                    return new SubjectId(Long.toString(Long.parseLong(raw)), type);
                } catch (NumberFormatException e) {
                    throw new ValidationException(field + ": outside the 64-bit integer range");
                }
            }
            case UUID -> {
                if (!UUID.matcher(raw).matches()) {
                    throw new ValidationException(field + ": expected a UUID in lower-case canonical form (8-4-4-4-12 hex digits)");
                }
                return new SubjectId(raw, type);
            }
            default -> {
                if (!raw.strip().equals(raw)) {
                    throw new ValidationException(field + ": starts or ends with white space");
                }
                return new SubjectId(raw, type);
            }
        }
    }

    /** @return the id as a Java value for a driver: {@link Long} or {@link String} */
    public Object typed() {
        return type == IdType.INTEGER ? (Object) Long.parseLong(value) : value;
    }

    /**
     * A keyed hash of the subject: HMAC-SHA-256 over {@code subject + ":" + id}, in lower-case hex (64 characters). The
     * same subject always gets the same pseudonym under one key; without the key it cannot be reversed or recomputed
     * (GDPR Art. 4(5), pseudonymisation).
     *
     * @param key the pseudonym key (from Secrets Manager)
     * @param subject the plan's subject name, e.g. {@code user}
     * @return the pseudonym
     */
    public String pseudonym(byte[] key, String subject) {
        return hmacHex(key, subject + ":" + value);
    }

    /** @return HMAC-SHA-256 (RFC 2104) of the UTF-8 message under the key, in lower-case hex */
    static String hmacHex(byte[] key, String message) {
        try {
            javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
            mac.init(new javax.crypto.spec.SecretKeySpec(key, "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(message.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    @Override
    public String toString() {
        return "SubjectId[" + type.id() + ", hidden]";
    }
}

package dev.tidemark.bulk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tidemark.error.ValidationException;
import dev.tidemark.json.Json;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Supplier;

/**
 * Seals and opens continuation tokens: {@code <payload>.<mac>}, both base64url without padding, where the payload is the
 * JSON {@code {"v": 1, "binding": ..., "anchor": ..., "phase": ..., "part": ..., "cursor": ..., "stage": ...}} and the mac
 * its HMAC-SHA256 (RFC 2104) under a key read from Secrets Manager ({@code TIDEMARK_CONTINUATION_KEY_SECRET_ID}).
 * <ul>
 *   <li>{@code binding} is the SHA-256 of the request's source, destination, format and mode
 *       ({@link ExportRequest#binding()}, {@link ImportRequest#binding()}): a token sent with another request is refused;</li>
 *   <li>{@code anchor} is the export's start time from its manifest: a token of an earlier export to the same folder, or
 *       of an import of another export, is refused once the manifest is read.</li>
 * </ul>
 * A caller can read a token but cannot make or change one; the cursor, stage and part it carries are trusted only once
 * the mac verifies (compared in constant time).
 */
public final class ContinuationCodec {

    /** Shortest key accepted, in bytes: 32 (the HMAC-SHA256 block's half, as RFC 2104 recommends at least the output size). */
    public static final int MIN_KEY_BYTES = 32;

    private final Supplier<byte[]> key;
    private volatile SecretKeySpec spec;

    /**
     * @param key gives the key (called once, on first use); at least {@link #MIN_KEY_BYTES} bytes
     */
    public ContinuationCodec(Supplier<byte[]> key) {
        this.key = key;
    }

    private SecretKeySpec spec() {
        SecretKeySpec s = spec;
        if (s == null) {
            byte[] k = key.get();
            if (k == null || k.length < MIN_KEY_BYTES) {
                throw new ValidationException("TIDEMARK_CONTINUATION_KEY_SECRET_ID: the continuation key must hold at least " + MIN_KEY_BYTES
                    + " bytes");
            }
            s = new SecretKeySpec(k, "HmacSHA256");
            spec = s;
        }
        return s;
    }

    private byte[] mac(byte[] payload) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(spec());
            return mac.doFinal(payload);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    /**
     * @param c where to resume
     * @param binding the request's {@code binding()}
     * @return the token
     */
    public String seal(Continuation c, String binding) {
        ObjectNode payload = Json.MAPPER.createObjectNode();
        payload.put("v", 1).put("binding", binding).put("anchor", c.anchor()).put("phase", c.phase()).put("part", c.part());
        if (c.cursor() != null) {
            payload.set("cursor", c.cursor());
        }
        if (c.stage() != null) {
            payload.put("stage", c.stage());
        }
        byte[] bytes = payload.toString().getBytes(StandardCharsets.UTF_8);
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        return b64.encodeToString(bytes) + "." + b64.encodeToString(mac(bytes));
    }

    /**
     * @param node the event's {@code continuation}, or null/missing
     * @param binding the request's {@code binding()}
     * @param phases the phases this operation has
     * @return the verified continuation, or {@code null} when absent
     * @throws ValidationException naming {@code continuation} when it is not a token, does not verify, or belongs to another
     *                             request
     */
    public Continuation open(JsonNode node, String binding, String... phases) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return null;
        }
        if (!node.isTextual() || node.asText().length() > 32 * 1024 || !node.asText().matches("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]{43}")) {
            throw new ValidationException("continuation: not a token returned by a bulk function");
        }
        String token = node.asText();
        byte[] payload;
        byte[] given;
        try {
            payload = Base64.getUrlDecoder().decode(token.substring(0, token.indexOf('.')));
            given = Base64.getUrlDecoder().decode(token.substring(token.indexOf('.') + 1));
        } catch (IllegalArgumentException e) {
            throw new ValidationException("continuation: not a token returned by a bulk function");
        }
        if (!MessageDigest.isEqual(mac(payload), given)) {
            throw new ValidationException("continuation: the token does not verify (changed, forged, or signed with another key)");
        }
        JsonNode p;
        try {
            p = Json.MAPPER.readTree(payload);
        } catch (IOException e) {
            throw new ValidationException("continuation: not a token returned by a bulk function");
        }
        if (!binding.equals(p.path("binding").asText())) {
            throw new ValidationException("continuation: belongs to another request (its source, destination, format or mode differ)");
        }
        String phase = p.path("phase").asText();
        if (!List.of(phases).contains(phase)) {
            throw new ValidationException("continuation: a token of phase '" + phase + "' does not continue this operation");
        }
        JsonNode cursor = p.get("cursor");
        return new Continuation(phase, p.path("part").asInt(), cursor == null || cursor.isNull() ? null : cursor,
            p.hasNonNull("stage") ? p.get("stage").asText() : null, p.hasNonNull("anchor") ? p.get("anchor").asText() : null);
    }

    /**
     * @param parts the request's defining values, in a fixed order
     * @return the hex SHA-256 of their JSON array: the binding a token carries
     */
    static String binding(Object... parts) {
        try {
            byte[] canonical = Json.MAPPER.writeValueAsBytes(parts);
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(canonical));
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot compute a request binding", e);
        }
    }

    /**
     * Reads a token's contents without verifying it, for messages and tests; never trust what it returns.
     *
     * @param token a token
     * @return {@code phase N, part M} or {@code unreadable}
     */
    public static String describe(String token) {
        try {
            JsonNode p = Json.MAPPER.readTree(Base64.getUrlDecoder().decode(token.substring(0, token.indexOf('.'))));
            return "phase " + p.path("phase").asText() + ", part " + p.path("part").asInt();
        } catch (IOException | RuntimeException e) {
            return "unreadable";
        }
    }
}

package dev.tidemark.bulk;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.tidemark.error.ValidationException;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The JSON mapper of bulk records: numbers keep every digit (decimals are read as {@link java.math.BigDecimal}, written
 * back as they were read), so a record passes through Tidemark unchanged.
 */
public final class ExactJson {

    /** Thread-safe mapper for records. */
    public static final ObjectMapper MAPPER = JsonMapper.builder()
        .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
        .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
        .build();

    private ExactJson() {
    }

    /**
     * @param bytes one JSON value (a record line)
     * @return its tree
     * @throws ValidationException when it is not JSON
     */
    public static JsonNode read(byte[] bytes) {
        try {
            return MAPPER.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw new ValidationException("record: not JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * @param node a tree
     * @return its compact JSON as UTF-8 bytes
     */
    public static byte[] write(JsonNode node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}

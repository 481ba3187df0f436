package dev.tidemark.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.services.s3.S3Client;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A corpus of hostile events, at least 200 per function, each sent through the local Lambda Invoke endpoint to the
 * real handlers on a migrated stack: every field missing, null, of the wrong type, huge, deeply nested, with control
 * characters, in the wrong case, with injection in identifiers and queries, path traversal in locations and sources,
 * forged and truncated continuations, imports into Tidemark's own stores. Each must be answered with a typed Tidemark
 * error whose message starts with the field it concerns and carries no stack frame, address, path, driver name or
 * secret; and no store may change: PostgreSQL's relations, rows, history and roles, MongoDB's collections and
 * documents, Elasticsearch's indices, documents and open search contexts, and both buckets are compared before and
 * after each function's corpus.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostileEventsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory N = JsonNodeFactory.instance;
    private static final int MIN_PER_FUNCTION = 200;
    /** What an answer must never carry. */
    private static final List<String> LEAKS = List.of("127.0.0.1", "localhost", "jdbc:", "/tmp/", "/work/", "/root/", "/etc/passwd",
        "com.fasterxml", "org.postgresql", "com.mongodb", "org.elasticsearch", "java.lang", "java.io", "Exception:", "Detail:", "\tat ",
        "StreamReadConstraints", "Unrecognized token");
    private static final Pattern FRAME = Pattern.compile("at [a-z]+(\\.[A-Za-z0-9_$]+)+\\([A-Za-z0-9_]+\\.java:\\d+\\)");
    /** A message that starts with a field path: {@code targets[0].store: ...}, {@code $where: unknown field...}. */
    private static final Pattern FIELD = Pattern.compile("^([A-Za-z0-9_$.\\[\\]-]+|[A-Za-z0-9_$.\\[\\]-]*\\(an unprintable or long name\\)): .+",
        Pattern.DOTALL);

    private static LocalStack stack;
    private static LambdaEndpoint endpoint;
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static String secretPassword;

    @BeforeAll
    static void startMigratedStack() throws Exception {
        Path repo = LocalRollout.findRepo(Path.of(""));
        stack = LocalStack.start(null, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        stack.uploadMigrations(repo.resolve("examples"));
        secretPassword = stack.postgresPassword();
        endpoint = new LambdaEndpoint(SamTemplate.read(repo.resolve("template.yaml")).functions(), stack::functionEnvironment);
        JsonNode migrated = invoke("UpgradeFunction", JSON.readTree(repo.resolve("events/upgrade.json").toFile()).toString());
        assertThat(migrated.has("errorType")).as(migrated.toString()).isFalse();
        for (String export : List.of(
            "{\"target\":\"app-db\",\"source\":{\"table\":\"users\"},\"destination\":\"s3://tidemark-bulk/corpus/users/\",\"format\":\"ndjson\"}",
            "{\"target\":\"app-docs\",\"source\":{\"collection\":\"consent_purposes\"},\"destination\":\"s3://tidemark-bulk/corpus/consent/\"}",
            "{\"target\":\"search\",\"source\":{\"index\":\"genres\"},\"destination\":\"s3://tidemark-bulk/corpus/genres/\"}")) {
            JsonNode done = invoke("BulkExportFunction", export);
            assertThat(done.path("done").asBoolean()).as(done.toString()).isTrue();
        }
    }

    @AfterAll
    static void stopStack() {
        if (endpoint != null) {
            endpoint.close();
        }
        if (stack != null) {
            stack.close();
        }
    }

    private static JsonNode invoke(String function, String body) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(endpoint.url() + "/2015-03-31/functions/" + function + "/invocations"))
            .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(r.body());
    }

    // ------------------------------------------------------------------ the corpus

    /** One hostile event: its function, a name for reports, the raw body, and the field paths its error may name. */
    record Case(String function, String name, String body, List<String> fields) {
    }

    /** How a field's hostile values are chosen: only values that are invalid for it. */
    enum Kind { NAME, ENUM, VERSION, LOCATION, S3, BOOL, NUMBER, OBJECT, ARRAY, QUERY, TOKEN, IDENT, MONGO_DESTINATION, ELASTIC_DESTINATION, SUBJECT_ID,
        REQUEST_ID }

    /** Names an import may create a collection or index by: not hostile, so not in the corpus. */
    private static final Pattern NEW_COLLECTION = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,119}");
    private static final Pattern NEW_INDEX = Pattern.compile("[a-z0-9][a-z0-9_.+-]{0,254}");
    private static final List<String> INTERNAL = List.of("tidemark_lock", "tidemark_schema_history", "admin", "local", "config");

    private static final String HUGE = "x".repeat(70 * 1024);

    /** Strings no name, enum, identifier, location or token field accepts. */
    private static List<JsonNode> hostileStrings() {
        List<JsonNode> out = new ArrayList<>();
        for (String s : List.of("", " ", "app-db ", " app-db", "APP-DB", "POSTGRES", "Postgres", "postgres\u0000", "app-db\u0000", "app\ndb",
            "tab\there", "x".repeat(2000), "' OR '1'='1", "'; DROP TABLE users; --", "\"; DROP TABLE users; --", "users; DROP TABLE users",
            "../../etc/passwd", "..\\..\\windows", "%2e%2e%2fetc", "${jndi:ldap://127.0.0.1/x}", "$where", "{\"$gt\": \"\"}", "\u202eresu",
            "ｐｏｓｔｇｒｅｓ", "pоstgres", "<script>alert(1)</script>", "admin", "system.users", "tidemark_lock", "tidemark_schema_history",
            "flyway_schema_history", "pg_authid", "pg_catalog.pg_shadow", ".security", "*", "_all", "a,b", "-Infinity", "$cmd", "NaN",
            "users__tidemark_replace", "\u0007bell", "latest\u0000", "null", "undefined", "0x41", "\uD83D\uDE00")) {
            out.add(N.textNode(s));
        }
        return out;
    }

    /** Values of other JSON types. */
    private static List<JsonNode> wrongTypes() {
        ArrayNode deep = N.arrayNode();
        ArrayNode at = deep;
        for (int i = 0; i < 20; i++) {
            at = at.addArray();
        }
        return List.of(N.numberNode(1), N.numberNode(-1), N.numberNode(1.5), N.numberNode(new java.math.BigDecimal("1e300")), N.booleanNode(true),
            N.booleanNode(false), N.arrayNode(), N.arrayNode().add("x"), N.objectNode(), N.objectNode().put("$gt", ""), deep,
            N.objectNode().set("a", N.objectNode().set("b", N.objectNode().put("c", 1))));
    }

    private static boolean invalidFor(Kind kind, JsonNode v) {
        return switch (kind) {
            case VERSION, NUMBER -> !(v.isIntegralNumber() && v.asLong() >= 0);
            case BOOL -> !v.isBoolean();
            case OBJECT -> !v.isObject();
            case MONGO_DESTINATION -> !(v.isTextual() && NEW_COLLECTION.matcher(v.asText()).matches() && !v.asText().startsWith("system.")
                && !v.asText().endsWith("__tidemark_replace") && !INTERNAL.contains(v.asText()));
            case ELASTIC_DESTINATION -> !(v.isTextual() && NEW_INDEX.matcher(v.asText()).matches() && !v.asText().startsWith("tidemark_"));
            // the example plans' subjects have integer ids: a number, or digits in a string, is a valid id
            case SUBJECT_ID -> !(v.isIntegralNumber() || v.isTextual() && v.asText().matches("-?[0-9]{1,18}"));
            case REQUEST_ID -> !(v.isTextual() && v.asText().matches("[A-Za-z0-9._-]{1,64}"));
            default -> true;
        };
    }

    private static List<JsonNode> values(Kind kind) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode v : hostileStrings()) {
            if (kind != Kind.OBJECT || !v.isObject()) {
                out.add(v);
            }
        }
        out.addAll(wrongTypes());
        out.removeIf(v -> !invalidFor(kind, v));
        switch (kind) {
            case VERSION -> out.addAll(List.of(N.textNode("v2"), N.textNode("-1"), N.textNode("1..2"), N.textNode("1."), N.textNode("9".repeat(100000 / 1000)),
                N.textNode("LATEST"), N.textNode("Current"), N.textNode(" latest")));
            case LOCATION, S3 -> out.addAll(List.of(N.textNode("filesystem:/"), N.textNode("filesystem:../../"), N.textNode("filesystem:/etc"),
                N.textNode("classpath:META-INF"), N.textNode("classpath:/"), N.textNode("file:///etc/passwd"), N.textNode("http://127.0.0.1:1/x"),
                N.textNode("s3://Bad_Bucket/x"), N.textNode("s3://tidemark-migrations/../x"), N.textNode("s3://tidemark-migrations/./x"),
                N.textNode("s3://tidemark-bulk/corpus/../users/"), N.textNode("ftp://host/x"), N.textNode("S3://tidemark-bulk/x/"),
                N.textNode("s3://tidemark-migrations/a\\b/")));
            case QUERY -> out.addAll(List.of(
                N.textNode("SELECT E'\\'' AS a) s; COMMIT; DROP TABLE users; SELECT * FROM (SELECT E'\\'' AS b"),
                N.textNode("SELECT 1) TO PROGRAM 'touch /tmp/tidemark-corpus'; COPY (SELECT 1"), N.textNode("DELETE FROM users"),
                N.textNode("SELECT 1; DROP TABLE users"), N.textNode("WITH d AS (DELETE FROM users RETURNING *) SELECT * FROM d"),
                N.textNode("SELECT pg_read_file('/etc/passwd') AS f"), N.textNode("SELECT * FROM pg_authid"),
                N.textNode("SELECT * FROM flyway_schema_history"), N.textNode("SELECT lo_export(lo_from_bytea(0, 'x'), '/tmp/tidemark-lo') AS f"),
                N.textNode("SELECT set_config('log_statement', 'all', false) AS f"), N.textNode("COMMIT"), N.textNode("SELECT * INTO stolen FROM users"),
                N.textNode("SELECT id FROM users FOR UPDATE"), N.textNode("TABLE pg_catalog.pg_class"), N.textNode("SELECT pg_ls_dir('/') AS f")));
            case SUBJECT_ID -> out.addAll(List.of(N.textNode("1 OR 1=1"), N.textNode("2; DELETE FROM users"), N.textNode("%"), N.textNode("1e3"),
                N.textNode("99999999999999999999"), N.textNode("2 "), N.textNode("+2"), N.textNode("２"), N.textNode("x".repeat(10 * 1024))));
            case TOKEN -> out.addAll(List.of(N.objectNode().put("phase", "load").put("part", 1),
                N.objectNode().put("phase", "export").put("part", 2).set("cursor", N.arrayNode().add("0")),
                N.objectNode().put("phase", "load").put("part", 1).put("stage", "users\"; DROP TABLE users; --"),
                N.textNode("eyJ2IjoxfQ.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), N.textNode("eyJ2IjoxfQ"), N.textNode("a.b.c")));
            default -> {
            }
        }
        return out;
    }

    private static String text(JsonNode n) {
        return n.toString();
    }

    /** Adds a case per hostile value of each field, with the field missing, null (when required) and unknown keys beside it. */
    private static void fields(List<Case> out, String function, String label, ObjectNode base, Map<String, Kind> fields, List<String> required) {
        for (Map.Entry<String, Kind> f : fields.entrySet()) {
            String pointer = f.getKey();
            String path = path(pointer);
            for (JsonNode v : values(f.getValue())) {
                ObjectNode e = base.deepCopy();
                set(e, pointer, v);
                String body = text(e);
                out.add(new Case(function, label + " " + path + " = " + abbreviate(v.toString()), body, accepted(path)));
            }
            if (required.contains(pointer)) {
                ObjectNode missing = base.deepCopy();
                remove(missing, pointer);
                out.add(new Case(function, label + " " + path + " missing", text(missing), accepted(path)));
                ObjectNode nul = base.deepCopy();
                set(nul, pointer, N.nullNode());
                out.add(new Case(function, label + " " + path + " null", text(nul), accepted(path)));
            }
        }
        for (String unknown : List.of("/x", "/$where", "/__proto__", "/Targets", "/" + "k".repeat(2000))) {
            ObjectNode e = base.deepCopy();
            e.put(unknown.substring(1), 1);
            out.add(new Case(function, label + " unknown key " + abbreviate(unknown), text(e), List.of("")));
        }
    }

    /** Bodies that are not one well-formed, bounded JSON object. */
    private static void structure(List<Case> out, String function, ObjectNode base, boolean nullIsValid) {
        String b = text(base);
        List<String> bodies = new ArrayList<>(List.of("[]", "\"x\"", "1", "true", "{", "}", "{}{}", b + b, b + " x", b + ",", "\u0000" + b,
            b.replaceFirst("\\{", "{\"target\": 1, \"target\": 2, "), "{\"a\":" + "[".repeat(200) + "]".repeat(200) + "}",
            "{\"a\": \"" + HUGE + "\"}", "{\"a\": " + "9".repeat(200) + "}", "{\"" + "k".repeat(5000) + "\": 1}", "{'targets': []}",
            "{\"targets\": [NaN]}", "{\"targets\": [1,]}", "{\"a\": \"\\ud800\"}" + "x"));
        if (!nullIsValid) {
            bodies.add("null");
        }
        for (String body : bodies) {
            out.add(new Case(function, "structure " + abbreviate(body), body, List.of("event", "")));
        }
    }

    static List<Case> corpus(String function) {
        List<Case> out = new ArrayList<>();
        switch (function) {
            case "UpgradeFunction", "RollbackFunction" -> {
                boolean up = function.equals("UpgradeFunction");
                ObjectNode base = (ObjectNode) parse("{\"targets\":[{\"store\":\"postgres\",\"name\":\"app-db\",\"targetVersion\":\"" + (up ? "latest" : "5")
                    + "\"}],\"dryRun\":true}");
                Map<String, Kind> f = new LinkedHashMap<>();
                f.put("/targets", Kind.ARRAY);
                f.put("/targets/0", Kind.OBJECT);
                f.put("/targets/0/store", Kind.ENUM);
                f.put("/targets/0/name", Kind.NAME);
                f.put("/targets/0/targetVersion", Kind.VERSION);
                f.put("/targets/0/location", Kind.LOCATION);
                f.put("/dryRun", Kind.BOOL);
                if (up) {
                    f.put("/operation", Kind.ENUM);
                    f.put("/realignChecksums", Kind.BOOL);
                    f.put("/phase", Kind.ENUM);
                } else {
                    f.put("/restore", Kind.OBJECT);
                    f.put("/rolloutTargets", Kind.ARRAY);
                }
                fields(out, function, "", base, f, List.of("/targets", "/targets/0/store", "/targets/0/name"));
                structure(out, function, base, false);
                ArrayNode twice = ((ArrayNode) base.get("targets")).deepCopy();
                twice.add(twice.get(0).deepCopy());
                out.add(new Case(function, "two targets of one name", text(base.deepCopy().set("targets", twice)), List.of("targets[1].name")));
                ArrayNode many = N.arrayNode();
                for (int i = 0; i < 60; i++) {
                    many.add(N.objectNode().put("store", "postgres").put("name", "t" + i));
                }
                out.add(new Case(function, "sixty targets", text(base.deepCopy().set("targets", many)), List.of("targets")));
                if (!up) {
                    String typo = "{\"targets\":[{\"store\":\"elasticsearch\",\"name\":\"search\"}],\"dryRun\":true,"
                        + "\"restore\":{\"targets\":[{\"name\":\"search\",\"version\":\"5\"}]}}";
                    out.add(new Case(function, "restore item without currentVersion (the typo that undid a target)", typo,
                        List.of("restore.targets[0].currentVersion")));
                    out.add(new Case(function, "restore with targetVersion", "{\"targets\":[{\"store\":\"postgres\",\"name\":\"app-db\","
                        + "\"targetVersion\":\"5\"}],\"dryRun\":true,\"restore\":{\"targets\":[{\"name\":\"app-db\",\"reachable\":true,"
                        + "\"currentVersion\":\"5\"}]}}", List.of("targets[0].targetVersion")));
                    out.add(new Case(function, "restore of an unreachable target", "{\"targets\":[{\"store\":\"postgres\",\"name\":\"app-db\"}],"
                        + "\"dryRun\":true,\"restore\":{\"targets\":[{\"name\":\"app-db\",\"reachable\":false,\"currentVersion\":null}]}}",
                        List.of("restore.targets[0].reachable")));
                    out.add(new Case(function, "version above current", text(base.deepCopy().<ObjectNode>set("targets",
                        parse("[{\"store\":\"postgres\",\"name\":\"app-db\",\"targetVersion\":\"99\"}]"))), List.of("targets[0].targetVersion")));
                } else {
                    out.add(new Case(function, "version above latest", text(base.deepCopy().<ObjectNode>set("targets",
                        parse("[{\"store\":\"postgres\",\"name\":\"app-db\",\"targetVersion\":\"99\"}]"))), List.of("targets[0].targetVersion")));
                }
            }
            case "HealthCheckFunction" -> {
                ObjectNode base = (ObjectNode) parse("{\"targets\":[\"app-db\"]}");
                Map<String, Kind> f = new LinkedHashMap<>();
                f.put("/targets/0", Kind.NAME);
                f.put("/targets", Kind.ARRAY);
                fields(out, function, "", base, f, List.of());
                fields(out, function, "second", (ObjectNode) parse("{\"targets\":[\"app-db\",\"search\"]}"), Map.of("/targets/1", Kind.NAME), List.of());
                fields(out, function, "third", (ObjectNode) parse("{\"targets\":[\"app-db\",\"search\",\"app-docs\"]}"), Map.of("/targets/2", Kind.NAME),
                    List.of());
                structure(out, function, base, true);
                out.add(new Case(function, "a name twice", "{\"targets\":[\"app-db\",\"app-db\"]}", List.of("targets[1]")));
            }
            case "BulkExportFunction" -> {
                ObjectNode pg = (ObjectNode) parse("{\"target\":\"app-db\",\"source\":{\"table\":\"users\"},\"destination\":\"s3://tidemark-bulk/corpus/never/\"}");
                Map<String, Kind> f = new LinkedHashMap<>();
                f.put("/target", Kind.NAME);
                f.put("/source", Kind.OBJECT);
                f.put("/source/table", Kind.IDENT);
                f.put("/source/key", Kind.ARRAY);
                f.put("/destination", Kind.S3);
                f.put("/format", Kind.ENUM);
                f.put("/compression", Kind.ENUM);
                f.put("/compressionLevel", Kind.NUMBER);
                f.put("/partSizeMb", Kind.NUMBER);
                f.put("/batchSize", Kind.NUMBER);
                f.put("/maxRowsPerSecond", Kind.NUMBER);
                f.put("/maxSecondsPerCall", Kind.NUMBER);
                f.put("/continuation", Kind.TOKEN);
                fields(out, function, "postgres", pg, f, List.of("/target", "/source", "/source/table", "/destination"));
                ObjectNode query = (ObjectNode) parse("{\"target\":\"app-db\",\"source\":{\"query\":\"SELECT id FROM users\"},"
                    + "\"destination\":\"s3://tidemark-bulk/corpus/never/\"}");
                fields(out, function, "postgres query", query, Map.of("/source/query", Kind.QUERY), List.of());
                ObjectNode mongo = (ObjectNode) parse("{\"target\":\"app-docs\",\"source\":{\"collection\":\"consent_purposes\"},"
                    + "\"destination\":\"s3://tidemark-bulk/corpus/never/\"}");
                fields(out, function, "mongodb", mongo, Map.of("/source/collection", Kind.IDENT, "/source/filter", Kind.OBJECT,
                    "/source/projection", Kind.OBJECT), List.of("/source/collection"));
                ObjectNode es = (ObjectNode) parse("{\"target\":\"search\",\"source\":{\"index\":\"genres\"},\"destination\":\"s3://tidemark-bulk/corpus/never/\"}");
                fields(out, function, "elasticsearch", es, Map.of("/source/index", Kind.IDENT, "/source/query", Kind.OBJECT), List.of("/source/index"));
                structure(out, function, pg, false);
                out.add(new Case(function, "export into a folder that holds one", text(pg.deepCopy().put("destination",
                    "s3://tidemark-bulk/corpus/users/")), List.of("destination")));
                out.add(new Case(function, "csv from mongodb", text(mongo.deepCopy().put("format", "csv")), List.of("format")));
                out.add(new Case(function, "level without gzip", text(pg.deepCopy().put("compression", "none").put("compressionLevel", 3)),
                    List.of("compressionLevel")));
            }
            case "ErasureReceiptFunction" -> {
                ObjectNode base = (ObjectNode) parse("{\"requestId\":\"corpus-receipt\",\"startedAt\":\"2026-12-03T00:00:00Z\","
                    + "\"status\":\"COMPLETED\",\"targets\":[{\"target\":\"app-db\",\"failed\":false,\"result\":{\"store\":\"postgres\","
                    + "\"target\":\"app-db\",\"dryRun\":false,\"plan\":\"" + "a".repeat(64) + "\",\"durationMs\":1,\"items\":[{\"name\":"
                    + "\"public.users\",\"action\":\"delete\",\"matched\":1,\"erased\":1,\"anonymised\":0,\"remaining\":0,\"durationMs\":1}]}}]}");
                Map<String, Kind> f = new LinkedHashMap<>();
                f.put("/requestId", Kind.REQUEST_ID);
                f.put("/status", Kind.ENUM);
                f.put("/startedAt", Kind.NAME);
                f.put("/targets", Kind.ARRAY);
                f.put("/targets/0/failed", Kind.BOOL);
                f.put("/targets/0/result/store", Kind.ENUM);
                f.put("/targets/0/result/plan", Kind.NAME);
                f.put("/targets/0/result/dryRun", Kind.BOOL);
                f.put("/targets/0/result/items/0/action", Kind.ENUM);
                f.put("/targets/0/result/items/0/erased", Kind.NUMBER);
                // every hostile value must be refused: the base's receipt is never written, so the bucket stays unchanged
                fields(out, function, "", base, f, List.of("/requestId", "/status", "/targets"));
                structure(out, function, base, false);
                ObjectNode dry = base.deepCopy();
                ((ObjectNode) dry.path("targets").get(0).path("result")).put("dryRun", true);
                out.add(new Case(function, "a dry run", text(dry), List.of("targets[0].result.dryRun")));
                ObjectNode failed = base.deepCopy();
                ((ObjectNode) failed.path("targets").get(0)).put("failed", true);
                out.add(new Case(function, "a failed target", text(failed), List.of("targets[0].failed")));
            }
            case "ErasureExportsFunction" -> {
                // a request id that names no accepted request: every value is refused before a bucket is read
                ObjectNode base = (ObjectNode) parse("{\"requestId\":\"corpus-exports\",\"execution\":{\"id\":"
                    + "\"arn:aws:states:us-east-1:123456789012:execution:ErasureStateMachine:corpus-exports_a1\"}}");
                Map<String, Kind> f = new LinkedHashMap<>();
                f.put("/requestId", Kind.REQUEST_ID);
                f.put("/execution", Kind.OBJECT);
                f.put("/execution/id", Kind.NAME);
                fields(out, function, "", base, f, List.of("/requestId"));
                structure(out, function, base, false);
                out.add(new Case(function, "a request never accepted", text(base), List.of("requestId")));
                // what a caller might try to steer the rewrite with: the flag, the subject and the bucket come from the request only
                for (String extra : List.of("subject", "rewriteExports", "dryRun", "bucket", "prefix", "target", "targets", "location", "exports",
                    "continuation")) {
                    for (JsonNode v : List.<JsonNode>of(parse("\"s3://elsewhere/\""), parse("1"), parse("{\"id\": \"1\"}"), parse("[\"a\"]"),
                        parse("null"), parse("true"), parse("\"../..\""), parse("{\"$ne\": null}"))) {
                        ObjectNode e = base.deepCopy();
                        e.set(extra, v);
                        out.add(new Case(function, extra + " = " + v, text(e), List.of(extra)));
                    }
                }
            }
            case "ErasureFunction" -> {
                // a dry run: even a value wrongly accepted would change nothing (the test also compares every store)
                ObjectNode base = (ObjectNode) parse("{\"requestId\":\"corpus-1\",\"target\":\"app-db\",\"subject\":{\"id\":\"1\"},\"dryRun\":true}");
                Map<String, Kind> f = new LinkedHashMap<>();
                f.put("/requestId", Kind.REQUEST_ID);
                f.put("/target", Kind.NAME);
                f.put("/subject/id", Kind.SUBJECT_ID);
                f.put("/subject", Kind.OBJECT);
                f.put("/dryRun", Kind.BOOL);
                fields(out, function, "", base, f, List.of("/requestId", "/target", "/subject/id", "/subject"));
                for (String target : List.of("app-docs", "search")) {
                    fields(out, function, target, base.deepCopy().put("target", target), Map.of("/subject/id", Kind.SUBJECT_ID), List.of());
                }
                structure(out, function, base, false);
            }
            case "BulkImportFunction" -> {
                ObjectNode pg = (ObjectNode) parse("{\"target\":\"app-db\",\"source\":\"s3://tidemark-bulk/corpus/users/\","
                    + "\"destination\":{\"table\":\"users\"},\"mode\":\"upsert\"}");
                Map<String, Kind> f = new LinkedHashMap<>();
                f.put("/target", Kind.NAME);
                f.put("/source", Kind.S3);
                f.put("/destination", Kind.OBJECT);
                f.put("/destination/table", Kind.IDENT);
                f.put("/destination/key", Kind.ARRAY);
                f.put("/mode", Kind.ENUM);
                f.put("/batchSize", Kind.NUMBER);
                f.put("/maxRowsPerSecond", Kind.NUMBER);
                f.put("/maxSecondsPerCall", Kind.NUMBER);
                f.put("/continuation", Kind.TOKEN);
                fields(out, function, "postgres", pg, f, List.of("/target", "/source", "/destination", "/destination/table", "/mode"));
                ObjectNode mongo = (ObjectNode) parse("{\"target\":\"app-docs\",\"source\":\"s3://tidemark-bulk/corpus/consent/\","
                    + "\"destination\":{\"collection\":\"consent_purposes\"},\"mode\":\"upsert\"}");
                fields(out, function, "mongodb", mongo, Map.of("/destination/collection", Kind.MONGO_DESTINATION, "/continuation", Kind.TOKEN),
                    List.of("/destination/collection"));
                ObjectNode es = (ObjectNode) parse("{\"target\":\"search\",\"source\":\"s3://tidemark-bulk/corpus/genres/\","
                    + "\"destination\":{\"index\":\"genres\"},\"mode\":\"upsert\"}");
                fields(out, function, "elasticsearch", es, Map.of("/destination/index", Kind.ELASTIC_DESTINATION), List.of("/destination/index"));
                structure(out, function, pg, false);
                for (String internal : List.of("flyway_schema_history", "public.flyway_schema_history", "pg_catalog.pg_authid", "users__tidemark_replace")) {
                    for (String mode : List.of("insert", "upsert", "replace")) {
                        out.add(new Case(function, "into " + internal + " by " + mode, text(pg.deepCopy().put("mode", mode).set("destination",
                            N.objectNode().put("table", internal))), List.of("destination.table")));
                    }
                }
                for (String internal : List.of("tidemark_schema_history", "tidemark_lock", "system.users", "admin")) {
                    out.add(new Case(function, "into collection " + internal, text(mongo.deepCopy().set("destination",
                        N.objectNode().put("collection", internal))), List.of("destination.collection")));
                }
                for (String internal : List.of("tidemark_schema_history", "tidemark_lock", ".kibana")) {
                    out.add(new Case(function, "into index " + internal, text(es.deepCopy().set("destination",
                        N.objectNode().put("index", internal))), List.of("destination.index")));
                }
                out.add(new Case(function, "no export there", text(pg.deepCopy().put("source", "s3://tidemark-bulk/corpus/none/")), List.of("source")));
            }
            default -> throw new IllegalArgumentException(function);
        }
        return out;
    }

    private static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException(json, e);
        }
    }

    private static String path(String pointer) {
        StringBuilder out = new StringBuilder();
        for (String part : pointer.substring(1).split("/")) {
            if (part.matches("\\d+")) {
                out.append('[').append(part).append(']');
            } else {
                out.append(out.isEmpty() ? "" : ".").append(part);
            }
        }
        return out.toString();
    }

    /** @return the path and its ancestors, e.g. {@code targets[0].store}, {@code targets[0]}, {@code targets}, {@code event} */
    private static List<String> accepted(String path) {
        List<String> out = new ArrayList<>();
        String p = path;
        while (!p.isEmpty()) {
            out.add(p);
            int cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
            p = cut < 0 ? "" : p.substring(0, cut);
        }
        out.add("event");
        return out;
    }

    private static void set(ObjectNode root, String pointer, JsonNode value) {
        String parent = pointer.substring(0, pointer.lastIndexOf('/'));
        String last = pointer.substring(pointer.lastIndexOf('/') + 1);
        JsonNode p = parent.isEmpty() ? root : root.at(parent);
        if (p instanceof ArrayNode a) {
            a.set(Integer.parseInt(last), value);
        } else if (p instanceof ObjectNode o) {
            o.set(last, value);
        } else {
            throw new IllegalArgumentException(pointer);
        }
    }

    private static void remove(ObjectNode root, String pointer) {
        String parent = pointer.substring(0, pointer.lastIndexOf('/'));
        JsonNode p = parent.isEmpty() ? root : root.at(parent);
        ((ObjectNode) p).remove(pointer.substring(pointer.lastIndexOf('/') + 1));
    }

    private static String abbreviate(String s) {
        String one = s.replaceAll("\\p{Cntrl}", "?");
        return one.length() > 60 ? one.substring(0, 60) + "..." : one;
    }

    // ------------------------------------------------------------------ the state of every store

    private static String snapshot() throws Exception {
        Map<String, String> state = new TreeMap<>();
        try (Connection c = DriverManager.getConnection(stack.postgres().jdbcUrl(LocalStack.DATABASE), "postgres", "x");
             Statement s = c.createStatement()) {
            List<String> tables = new ArrayList<>();
            try (ResultSet rs = s.executeQuery("SELECT format('%I.%I', schemaname, tablename) FROM pg_tables WHERE schemaname NOT IN "
                + "('pg_catalog', 'information_schema') ORDER BY 1")) {
                while (rs.next()) {
                    tables.add(rs.getString(1));
                }
            }
            state.put("pg.tables", String.join(",", tables));
            for (String t : tables) {
                try (ResultSet rs = s.executeQuery("SELECT count(*) || ':' || coalesce(md5(string_agg(x::text, ',' ORDER BY x::text)), '') FROM " + t + " x")) {
                    rs.next();
                    state.put("pg." + t, rs.getString(1));
                }
            }
            try (ResultSet rs = s.executeQuery("SELECT string_agg(rolname || ':' || rolsuper, ',' ORDER BY rolname) FROM pg_roles")) {
                rs.next();
                state.put("pg.roles", rs.getString(1));
            }
            try (ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_largeobject_metadata")) {
                rs.next();
                state.put("pg.largeObjects", rs.getString(1));
            }
        }
        try (MongoClient client = MongoClients.create(stack.mongo().uri())) {
            for (String db : client.listDatabaseNames()) {
                MongoDatabase d = client.getDatabase(db);
                for (String coll : d.listCollectionNames()) {
                    List<String> docs = new ArrayList<>();
                    for (Document doc : d.getCollection(coll).find()) {
                        docs.add(doc.toJson());
                    }
                    docs.sort(null);
                    state.put("mongo." + db + "." + coll, docs.size() + ":" + sha(String.join("\n", docs)));
                }
            }
        }
        state.put("es.indices", get("/_cat/indices?h=index,docs.count&s=index&expand_wildcards=all"));
        state.put("es.aliases", get("/_cat/aliases?h=alias,index&s=alias"));
        state.put("es.lock", get("/tidemark_lock/_doc/migration?filter_path=_source"));
        state.put("es.openContexts", parse(get("/_nodes/stats/indices/search")).findValues("open_contexts").toString());
        try (S3Client s3 = stack.s3Client()) {
            for (String bucket : List.of(LocalStack.BUCKET, LocalStack.BULK_BUCKET, LocalStack.RECEIPT_BUCKET, LocalStack.REQUEST_BUCKET)) {
                List<String> keys = new ArrayList<>();
                s3.listObjectsV2Paginator(b -> b.bucket(bucket)).contents().forEach(o -> keys.add(o.key() + "@" + o.eTag()));
                s3.listMultipartUploadsPaginator(b -> b.bucket(bucket)).uploads().forEach(u -> keys.add("upload:" + u.key()));
                state.put("s3." + bucket, String.join(",", keys));
            }
        }
        return state.entrySet().stream().map(e -> e.getKey() + " = " + e.getValue()).reduce("", (a, b) -> a + b + "\n");
    }

    private static String get(String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(stack.elastic().url() + path)).GET().build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    private static String sha(String s) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    }

    // ------------------------------------------------------------------ the test

    /** The failures of one answer, empty when it is a clean refusal. */
    static List<String> problems(Case c, JsonNode answer) {
        List<String> out = new ArrayList<>();
        String type = answer.path("errorType").asText("");
        String message = answer.path("errorMessage").asText("");
        if (!type.startsWith("dev.tidemark.error.")) {
            out.add("not a Tidemark error: " + abbreviate(answer.toString()));
            return out;
        }
        if (!FIELD.matcher(message).matches()) {
            out.add("message does not start with a field: " + abbreviate(message));
        } else {
            String field = message.substring(0, message.indexOf(": "));
            boolean named = c.fields().contains("") || c.fields().stream().anyMatch(a -> field.equals(a) || field.startsWith(a + ".")
                || field.startsWith(a + "["));
            if (!named) {
                out.add("names " + field + ", expected one of " + c.fields() + ": " + abbreviate(message));
            }
        }
        for (String leak : LEAKS) {
            if (message.contains(leak) && !c.body().contains(leak)) { // the caller's own words may be quoted back, bounded
                out.add("message carries '" + leak + "': " + abbreviate(message));
            }
        }
        if (message.contains(secretPassword)) {
            out.add("message carries the database password");
        }
        if (FRAME.matcher(message).find()) {
            out.add("message carries a stack frame");
        }
        if (message.length() > 2000) {
            out.add("message of " + message.length() + " characters");
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"UpgradeFunction", "RollbackFunction", "HealthCheckFunction", "BulkExportFunction", "BulkImportFunction",
        "ErasureFunction", "ErasureReceiptFunction", "ErasureExportsFunction"})
    @Order(1)
    void everyHostileEventIsRefusedNamingTheFieldWithNoInternalsAndChangesNoStore(String function) throws Exception {
        List<Case> corpus = corpus(function);
        assertThat(corpus).hasSizeGreaterThanOrEqualTo(MIN_PER_FUNCTION);
        String before = snapshot();
        List<String> failures = new ArrayList<>();
        Map<String, Integer> types = new TreeMap<>();
        for (Case c : corpus) {
            JsonNode answer = invoke(function, c.body());
            types.merge(answer.path("errorType").asText("(no error)"), 1, Integer::sum);
            for (String p : problems(c, answer)) {
                failures.add(c.name() + ": " + p);
            }
        }
        String after = snapshot();
        System.out.printf("hostile events: %s: %d events, answered %s%n", function, corpus.size(), types);
        assertThat(failures).as(function + ": " + failures.size() + " of " + corpus.size() + " events").isEmpty();
        assertThat(after).as(function + " changed a store").isEqualTo(before);
        assertThat(Path.of("/tmp/tidemark-corpus")).doesNotExist();
        assertThat(Path.of("/tmp/tidemark-lo")).doesNotExist();
    }

    @Test
    @Order(2)
    void theSampleEventsStillWorkAfterTheCorpus() throws Exception {
        JsonNode health = invoke("HealthCheckFunction", "{}");
        assertThat(health.path("status").asText()).as(health.toString()).isEqualTo("healthy");
    }

    @Test
    @Order(3)
    void theErasureFunctionErasesAUserFromEveryTargetAsTheEraserRoleAndAnswersCountsOnly() throws Exception {
        try (var c = java.sql.DriverManager.getConnection(stack.postgres().jdbcUrl(LocalStack.DATABASE), "postgres", secretPassword);
             var st = c.createStatement()) {
            st.execute("INSERT INTO users (id, email, display_name) OVERRIDING SYSTEM VALUE SELECT g, 'e' || g || '@example.com', 'E' || g "
                + "FROM generate_series(9001, 9003) g; INSERT INTO consent (user_id, purpose, granted) SELECT g, 'marketing', true "
                + "FROM generate_series(9001, 9003) g; INSERT INTO audit_log (entity_type, entity_id, action, actor_id) "
                + "SELECT 'user', g, 'update', g FROM generate_series(9001, 9003) g");
        }
        try (var client = com.mongodb.client.MongoClients.create(stack.mongo().uri())) {
            for (long u = 9001; u <= 9003; u++) {
                client.getDatabase(LocalStack.DATABASE).getCollection("user_profiles").insertOne(new org.bson.Document("user_id", u)
                    .append("email", "e" + u + "@example.com").append("created_at", new java.util.Date()));
            }
        }
        try (var es = new dev.tidemark.elastic.ElasticClient(new dev.tidemark.secrets.ConnectionSecrets.Elastic(stack.elastic().url(), null, null,
            null))) {
            for (int u = 9001; u <= 9003; u++) {
                es.send("POST", "/audit/_doc?refresh=true", "{\"entity_type\": \"user\", \"entity_id\": \"" + u + "\", \"action\": \"update\", "
                    + "\"actor_id\": \"" + u + "\", \"created_at\": \"2026-12-03T00:00:00Z\"}");
            }
        }
        Map<String, Long> erased = new TreeMap<>();
        for (String target : List.of("app-db", "app-docs", "search")) {
            String event = "{\"requestId\":\"req-e2e\",\"target\":\"" + target + "\",\"subject\":{\"id\":\"9002\"},\"dryRun\":false}";
            JsonNode answer = invoke("ErasureFunction", event);
            assertThat(answer.has("errorType")).as(answer.toString()).isFalse();
            assertThat(answer.path("requestId").asText()).isEqualTo("req-e2e");
            assertThat(answer.toString()).doesNotContain("e9002@example.com").doesNotContain("9002");
            for (JsonNode item : answer.path("result").path("items")) {
                assertThat(item.path("remaining").asLong()).as(item.toString()).isZero();
                erased.merge(target, item.path("erased").asLong() + item.path("anonymised").asLong(), Long::sum);
            }
        }
        assertThat(erased).as("users, consent and audit rows; the profile; the audit entry").containsEntry("app-db", 3L)
            .containsEntry("app-docs", 1L).containsEntry("search", 1L);
        try (var c = java.sql.DriverManager.getConnection(stack.postgres().jdbcUrl(LocalStack.DATABASE), "postgres", secretPassword);
             var rs = c.createStatement().executeQuery("SELECT count(*) FILTER (WHERE id = 9002), count(*) FILTER (WHERE id IN (9001, 9003)) FROM users")) {
            rs.next();
            assertThat(rs.getLong(1)).isZero();
            assertThat(rs.getLong(2)).as("the other users stay").isEqualTo(2);
        }
    }
}

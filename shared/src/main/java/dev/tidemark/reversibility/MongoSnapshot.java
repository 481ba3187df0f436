package dev.tidemark.reversibility;

import com.mongodb.client.MongoDatabase;
import org.bson.Document;

import java.util.TreeMap;

/**
 * MongoDB snapshot of one database: collections with their options (validator, capped, ...) and their indexes
 * (key and options). Tidemark's {@code tidemark_*} collections are left out.
 */
public final class MongoSnapshot implements SchemaSnapshot.Taker {

    private final MongoDatabase database;

    /** @param database the database to read */
    public MongoSnapshot(MongoDatabase database) {
        this.database = database;
    }

    @Override
    public SchemaSnapshot take() {
        TreeMap<String, String> entries = new TreeMap<>();
        for (Document c : database.listCollections()) {
            String name = c.getString("name");
            if (name.startsWith("tidemark_") || name.startsWith("system.")) {
                continue;
            }
            Document options = c.get("options", new Document());
            entries.put("collection." + name, c.getString("type") + " " + new Document(new TreeMap<>(options)).toJson());
            for (Document ix : database.getCollection(name).listIndexes()) {
                Document d = new Document(new TreeMap<>(ix));
                d.remove("v");
                d.remove("ns");
                entries.put("index." + name + "." + ix.getString("name"), d.toJson());
            }
        }
        return new SchemaSnapshot(entries);
    }
}

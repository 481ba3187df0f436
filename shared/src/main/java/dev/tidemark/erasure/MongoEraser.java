package dev.tidemark.erasure;

import com.mongodb.MongoException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Projections;
import com.mongodb.client.model.Updates;
import dev.tidemark.error.ConnectionException;
import dev.tidemark.error.StoreException;
import dev.tidemark.error.ValidationException;
import dev.tidemark.migration.Store;
import dev.tidemark.mongo.MongoErrors;
import org.bson.Document;
import org.bson.conversions.Bson;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Erases one data subject from a MongoDB target per its {@link ErasurePlan}: every collection must exist (and be neither
 * a system nor a Tidemark collection) before anything runs; then per item, in plan order, the subject's documents are
 * deleted or anonymised ({@code $set}, {@code $unset}) in batches of {@code batchSize} {@code _id}s, and what remains is
 * counted. The subject id is matched with {@code $eq} as a typed value (a number for {@code integer} ids), so no
 * operator can come in through it. Without transactions each batch stands on its own: a repeated request finishes the
 * work and erases nothing twice.
 */
public final class MongoEraser {

    private static final Set<String> TIDEMARK = Set.of("tidemark_schema_history", "tidemark_lock");

    private final String target;
    private final ErasurePlan plan;
    private final byte[] pseudonymKey;
    private final int batchSize;

    /**
     * @param target the target's name, for messages
     * @param plan the target's plan ({@link Store#MONGODB})
     * @param pseudonymKey the key of {@link SubjectId#pseudonym}
     * @param batchSize documents per command (1 to 100,000)
     */
    public MongoEraser(String target, ErasurePlan plan, byte[] pseudonymKey, int batchSize) {
        if (plan.store() != Store.MONGODB) {
            throw new IllegalArgumentException("a MongoDB plan is needed");
        }
        this.target = target;
        this.plan = plan;
        this.pseudonymKey = pseudonymKey.clone();
        this.batchSize = Erasures.batchSize(batchSize, 100_000);
    }

    /**
     * @param database the target's database, as the eraser role
     * @param subject the data subject
     * @param dryRun count what would be erased and change nothing
     * @return per item: matched, erased, anonymised, remaining (0 after an erasure; on a dry run, what an erasure would act
     *         on), duration
     * @throws ValidationException naming the plan field when a collection is missing or internal; nothing ran
     * @throws ConnectionException for a transient failure (by the driver's labels and codes): retry; batches already done
     *                             stay done and are not done twice
     * @throws StoreException for any other failure, or when a verification found documents left
     */
    public ErasureResult erase(MongoDatabase database, SubjectId subject, boolean dryRun) {
        return erase(database, subject, dryRun, () -> false);
    }

    /**
     * As {@link #erase(MongoDatabase, SubjectId, boolean)} within a time budget: once {@code stop} answers {@code true},
     * the item in hand runs at most one more batch, later items are only counted, and the result says {@code done: false}.
     *
     * @param stop whether the call's time is up
     * @return the verified counts
     */
    public ErasureResult erase(MongoDatabase database, SubjectId subject, boolean dryRun, java.util.function.BooleanSupplier stop) {
        if (subject.type() != plan.idType()) {
            throw new ValidationException("subject.id: the plan's id type is " + plan.idType().id());
        }
        long start = System.nanoTime();
        String current = "the collection list";
        try {
            Set<String> collections = database.listCollectionNames().into(new HashSet<>());
            for (ErasurePlan.Item item : plan.items()) {
                String f = ErasurePlan.FILE + ": " + item.field() + ".collection";
                if (item.name().startsWith("system.") || TIDEMARK.contains(item.name())) {
                    throw new ValidationException(f + ": '" + item.name() + "' is a system or Tidemark collection, never erased from");
                }
                if (!collections.contains(item.name())) {
                    throw new ValidationException(f + ": no collection '" + item.name() + "' in the target's database");
                }
            }
            String pseudonym = plan.pseudonymises() ? subject.pseudonym(pseudonymKey, plan.subject()) : null;
            List<ErasureResult.Item> out = new ArrayList<>();
            for (ErasurePlan.Item item : plan.items()) {
                current = item.name();
                boolean countOnly = dryRun || Erasures.firstLeft(out).isPresent(); // out of time: later items only count
                out.add(run(database.getCollection(item.name()), item, subject, pseudonym, countOnly, stop));
            }
            boolean partial = !dryRun && Erasures.firstLeft(out).isPresent() && stop.getAsBoolean();
            if (!dryRun && !partial) {
                Erasures.requireNothingLeft("mongodb", target, out, "document(s)", "batches already done stay done");
            }
            return new ErasureResult(Store.MONGODB, target, dryRun, plan.sha256(), List.copyOf(out), (System.nanoTime() - start) / 1_000_000,
                !partial);
        } catch (MongoException e) {
            String what = "mongodb target '" + target + "': erasure in " + current + " failed: " + MongoErrors.describe(e);
            throw MongoErrors.transientError(e) ? new ConnectionException(what, e) : new StoreException(what, e);
        }
    }

    private ErasureResult.Item run(MongoCollection<Document> c, ErasurePlan.Item item, SubjectId subject, String pseudonym, boolean dryRun,
                                   java.util.function.BooleanSupplier stop) {
        long t0 = System.nanoTime();
        Bson match = Filters.eq(item.match(), subject.typed());
        long matched = item.action() == ErasurePlan.Action.DELETE && !dryRun ? -1 : c.countDocuments(match);
        long erased = 0;
        long anonymised = 0;
        Bson pending = match;
        if (item.action() == ErasurePlan.Action.ANONYMISE) {
            List<Bson> changes = new ArrayList<>();
            List<Bson> notYet = new ArrayList<>();
            for (Map.Entry<String, ErasurePlan.Replacement> e : item.set().entrySet()) {
                Object v = switch (e.getValue().kind()) {
                    case NULL -> null;
                    case VALUE -> e.getValue().value();
                    case PSEUDONYM -> pseudonym;
                };
                changes.add(Updates.set(e.getKey(), v));
                notYet.add(Filters.ne(e.getKey(), v));
            }
            for (String field : item.unset()) {
                changes.add(Updates.unset(field));
                notYet.add(Filters.exists(field, true));
            }
            pending = Filters.and(match, Filters.or(notYet));
            if (!dryRun) {
                Bson update = Updates.combine(changes);
                List<Object> ids;
                do {
                    ids = ids(c, pending);
                    if (!ids.isEmpty()) {
                        anonymised += c.updateMany(Filters.and(pending, Filters.in("_id", ids)), update).getModifiedCount();
                    }
                } while (ids.size() == batchSize && !stop.getAsBoolean()); // a short batch was the last one
            }
        } else if (!dryRun) {
            List<Object> ids;
            do {
                ids = ids(c, match);
                if (!ids.isEmpty()) {
                    // the subject's match first: a server without a usable index tests it before the list of ids
                    erased += c.deleteMany(Filters.and(match, Filters.in("_id", ids))).getDeletedCount();
                }
            } while (ids.size() == batchSize && !stop.getAsBoolean());
        }
        long remaining = c.countDocuments(pending);
        if (matched < 0) {
            matched = erased + remaining;
        }
        return new ErasureResult.Item(item.name(), item.action() == ErasurePlan.Action.DELETE ? "delete" : "anonymise", matched, erased,
            anonymised, remaining, (System.nanoTime() - t0) / 1_000_000);
    }

    private List<Object> ids(MongoCollection<Document> c, Bson filter) {
        List<Object> ids = new ArrayList<>();
        for (Document d : c.find(filter).projection(Projections.include("_id")).limit(batchSize)) {
            ids.add(d.get("_id"));
        }
        return ids;
    }
}

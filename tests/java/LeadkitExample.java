// Classifies 1,000 leads and computes their KPIs by channel through libleadkit.so from Java,
// with JNA: the leads and touches are Arrow record batches built here, in memory this program
// allocates, the Arrow C data interface's structs filled field by field (JNA Structures).
//
//   javac -cp /usr/share/java/jna.jar LeadkitExample.java
//   java -cp /usr/share/java/jna.jar:. -Djna.library.path=DIR_OF_LIBLEADKIT LeadkitExample [OUT_DIR]
//
// With OUT_DIR it also writes there the data it made (leads.json, touches.json) and each
// lead's grade and rule (classify.tsv), for a test to compare with the C++ API.
import com.sun.jna.Callback;
import com.sun.jna.CallbackReference;
import com.sun.jna.Function;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.ptr.PointerByReference;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;

public class LeadkitExample {
  // ---- The C ABI: the functions of leadkit.h this program calls ----
  public interface Leadkit extends Library {
    Leadkit LK = Native.load("leadkit", Leadkit.class);

    String lk_version();
    String lk_last_error();
    int lk_policy_from_preset(String name, PointerByReference policy);
    void lk_policy_free(Pointer policy);
    int lk_cadence_from_policy(Pointer policy, PointerByReference cadence);
    void lk_cadence_free(Pointer cadence);
    int lk_classify_arrow(Pointer policy, Pointer leads, Pointer result);
    int lk_kpis_arrow(Pointer cadence, Pointer leads, Pointer touches, Pointer surveys,
                      String[] by, long byCount, long asOf, Pointer result);
  }

  static final int LK_OK = 0;

  // ---- The Arrow C data interface, declared as the specification gives it ----
  @Structure.FieldOrder({"format", "name", "metadata", "flags", "n_children", "children",
                         "dictionary", "release", "private_data"})
  public static class ArrowSchema extends Structure {
    public Pointer format, name, metadata;
    public long flags, n_children;
    public Pointer children, dictionary, release, private_data;
    public ArrowSchema() {}
    public ArrowSchema(Pointer p) { super(p); read(); }
  }

  @Structure.FieldOrder({"length", "null_count", "offset", "n_buffers", "n_children", "buffers",
                         "children", "dictionary", "release", "private_data"})
  public static class ArrowArray extends Structure {
    public long length, null_count, offset, n_buffers, n_children;
    public Pointer buffers, children, dictionary, release, private_data;
    public ArrowArray() {}
    public ArrowArray(Pointer p) { super(p); read(); }
  }

  @Structure.FieldOrder({"get_schema", "get_next", "get_last_error", "release", "private_data"})
  public static class ArrowArrayStream extends Structure {
    public Pointer get_schema, get_next, get_last_error, release, private_data;
    public ArrowArrayStream() {}
  }

  // Callbacks leadkit calls on the structs this program made. The memory is this program's
  // (held in KEEP): releasing only marks a struct released, as the interface asks.
  interface Release extends Callback { void invoke(Pointer struct); }
  interface GetSchema extends Callback { int invoke(Pointer stream, Pointer out); }
  interface GetNext extends Callback { int invoke(Pointer stream, Pointer out); }
  interface GetLastError extends Callback { Pointer invoke(Pointer stream); }

  static final List<Object> KEEP = new ArrayList<>();
  static final Release RELEASE_SCHEMA = s -> s.setPointer(7 * 8, null);  // ArrowSchema.release
  static final Release RELEASE_ARRAY = a -> a.setPointer(8 * 8, null);   // ArrowArray.release
  static final Release RELEASE_STREAM = s -> s.setPointer(3 * 8, null);  // stream.release
  static final GetLastError NO_ERROR = s -> null;

  static Pointer text(String s) {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    Memory m = new Memory(bytes.length + 1);
    m.write(0, bytes, 0, bytes.length);
    m.setByte(bytes.length, (byte) 0);
    KEEP.add(m);
    return m;
  }

  static Memory bytes(long size) {
    Memory m = new Memory(Math.max(size, 8));
    m.clear();
    KEEP.add(m);
    return m;
  }

  static Pointer pointers(List<? extends Structure> structs) {
    Memory m = bytes(8L * structs.size());
    for (int i = 0; i < structs.size(); ++i) m.setPointer(8L * i, structs.get(i).getPointer());
    return m;
  }

  // One column: its schema and its array, filled by hand.
  static final class Column {
    final ArrowSchema schema = new ArrowSchema();
    final ArrowArray array = new ArrowArray();

    Column(String name, String format, long length, long nulls, Pointer... buffers) {
      schema.format = text(format);
      schema.name = text(name);
      schema.flags = 2;  // ARROW_FLAG_NULLABLE
      schema.release = CallbackReference.getFunctionPointer(RELEASE_SCHEMA);
      schema.write();
      Memory list = bytes(8L * buffers.length);
      for (int i = 0; i < buffers.length; ++i) list.setPointer(8L * i, buffers[i]);
      array.length = length;
      array.null_count = nulls;
      array.n_buffers = buffers.length;
      array.buffers = list;
      array.release = CallbackReference.getFunctionPointer(RELEASE_ARRAY);
      array.write();
      KEEP.add(this);
    }
  }

  // Validity bitmap of `valid`, or null when every value is there.
  static Pointer validity(boolean[] valid) {
    boolean all = true;
    for (boolean v : valid) all &= v;
    if (all) return null;
    Memory bits = bytes((valid.length + 7) / 8);
    for (int i = 0; i < valid.length; ++i) {
      if (valid[i]) bits.setByte(i / 8, (byte) (bits.getByte(i / 8) | (1 << (i % 8))));
    }
    return bits;
  }

  static long nulls(boolean[] valid) {
    long n = 0;
    for (boolean v : valid) n += v ? 0 : 1;
    return n;
  }

  static Column utf8(String name, String[] values) {
    boolean[] valid = new boolean[values.length];
    Memory offsets = bytes(4L * (values.length + 1));
    StringBuilder all = new StringBuilder();
    int end = 0;
    for (int i = 0; i < values.length; ++i) {
      valid[i] = values[i] != null;
      if (valid[i]) {
        all.append(values[i]);
        end += values[i].getBytes(StandardCharsets.UTF_8).length;
      }
      offsets.setInt(4L * (i + 1), end);
    }
    byte[] chars = all.toString().getBytes(StandardCharsets.UTF_8);
    Memory data = bytes(chars.length);
    data.write(0, chars, 0, chars.length);
    return new Column(name, "u", values.length, nulls(valid), validity(valid), offsets, data);
  }

  static Column int64(String name, Long[] values) {
    boolean[] valid = new boolean[values.length];
    Memory data = bytes(8L * values.length);
    for (int i = 0; i < values.length; ++i) {
      valid[i] = values[i] != null;
      if (valid[i]) data.setLong(8L * i, values[i]);
    }
    return new Column(name, "l", values.length, nulls(valid), validity(valid), data);
  }

  static Column bools(String name, Boolean[] values) {
    boolean[] valid = new boolean[values.length];
    Memory data = bytes((values.length + 7) / 8);
    for (int i = 0; i < values.length; ++i) {
      valid[i] = values[i] != null;
      if (valid[i] && values[i]) {
        data.setByte(i / 8, (byte) (data.getByte(i / 8) | (1 << (i % 8))));
      }
    }
    return new Column(name, "b", values.length, nulls(valid), validity(valid), data);
  }

  // Timestamps in milliseconds, in Shanghai's zone, none null.
  static Column times(String name, long[] seconds) {
    Memory data = bytes(8L * seconds.length);
    for (int i = 0; i < seconds.length; ++i) data.setLong(8L * i, seconds[i] * 1000);
    return new Column(name, "tsm:Asia/Shanghai", seconds.length, 0, null, data);
  }

  // A stream of one record batch of `columns`, `length` rows. Each call gets a stream of its
  // own; the columns' memory may be shared.
  static ArrowArrayStream stream(long length, Column... columns) {
    List<ArrowSchema> fields = new ArrayList<>();
    List<ArrowArray> arrays = new ArrayList<>();
    for (Column c : columns) {
      fields.add(c.schema);
      arrays.add(c.array);
    }
    ArrowSchema schema = new ArrowSchema();
    schema.format = text("+s");
    schema.name = text("");
    schema.n_children = columns.length;
    schema.children = pointers(fields);
    schema.release = CallbackReference.getFunctionPointer(RELEASE_SCHEMA);
    schema.write();
    ArrowArray batch = new ArrowArray();
    batch.length = length;
    batch.n_buffers = 1;
    batch.buffers = bytes(8);  // no validity
    batch.n_children = columns.length;
    batch.children = pointers(arrays);
    batch.release = CallbackReference.getFunctionPointer(RELEASE_ARRAY);
    batch.write();
    int schemaSize = schema.size(), batchSize = batch.size();
    boolean[] sent = {false};
    GetSchema getSchema = (s, out) -> {
      out.write(0, schema.getPointer().getByteArray(0, schemaSize), 0, schemaSize);
      return 0;
    };
    GetNext getNext = (s, out) -> {
      if (sent[0]) {
        out.write(0, new byte[batchSize], 0, batchSize);  // release NULL: the end
      } else {
        out.write(0, batch.getPointer().getByteArray(0, batchSize), 0, batchSize);
        sent[0] = true;
      }
      return 0;
    };
    ArrowArrayStream stream = new ArrowArrayStream();
    stream.get_schema = CallbackReference.getFunctionPointer(getSchema);
    stream.get_next = CallbackReference.getFunctionPointer(getNext);
    stream.get_last_error = CallbackReference.getFunctionPointer(NO_ERROR);
    stream.release = CallbackReference.getFunctionPointer(RELEASE_STREAM);
    stream.write();
    KEEP.add(new Object[] {schema, batch, getSchema, getNext, stream});
    return stream;
  }

  // ---- Reading what leadkit returns ----
  static int call(Pointer function, Pointer... args) {
    return Function.getFunction(function).invokeInt(args);
  }

  static void release(Pointer function, Pointer struct) {
    Function.getFunction(function).invokeVoid(new Object[] {struct});
  }

  static String utf8At(ArrowArray a, long row) {
    Pointer offsets = a.buffers.getPointer(8), chars = a.buffers.getPointer(16);
    int begin = offsets.getInt(4 * (a.offset + row));
    int end = offsets.getInt(4 * (a.offset + row + 1));
    return new String(chars.getByteArray(begin, end - begin), StandardCharsets.UTF_8);
  }

  static boolean isNull(ArrowArray a, long row) {
    Pointer bits = a.buffers.getPointer(0);
    long i = a.offset + row;
    return bits != null && ((bits.getByte(i / 8) >> (i % 8)) & 1) == 0;
  }

  static ArrowArray child(Pointer children, int i) {
    return new ArrowArray(children.getPointer(8L * i));
  }

  static void check(int status, String call) {
    if (status != LK_OK) {
      throw new IllegalStateException(call + ": " + Leadkit.LK.lk_last_error());
    }
  }

  // ---- The data: 1,000 leads of March 2025 and their touches, drawn from a fixed sequence ----
  static long seed = 20250301;

  static int next(int bound) {
    seed = seed * 6364136223846793005L + 1442695040888963407L;
    return (int) Long.remainderUnsigned(seed >>> 33, bound);
  }

  public static void main(String[] args) throws IOException {
    final int n = 1000;
    final long march1 = 1740758400L;  // 2025-03-01T00:00:00+08:00
    final long asOf = 1743465600L;    // 2025-04-01T00:00:00Z
    String[] channels = {"website", "phone", "showroom", "referral", null};
    String[] statuses = {"open", "open", "open", "won", "lost", "invalid"};
    String[] models = {"C200", "GLC", "E300", null};
    String[] methods = {"phone", "wechat", "visit"};
    String[] id = new String[n], model = new String[n], channel = new String[n],
        status = new String[n];
    Boolean[] askedPrice = new Boolean[n];
    Long[] days = new Long[n];
    long[] created = new long[n];
    List<String> touchLead = new ArrayList<>(), touchMethod = new ArrayList<>();
    List<Long> touchAt = new ArrayList<>();
    for (int i = 0; i < n; ++i) {
      id[i] = String.format(Locale.ROOT, "J%04d", i);
      model[i] = models[next(models.length)];
      channel[i] = channels[next(channels.length)];
      status[i] = statuses[next(statuses.length)];
      askedPrice[i] = next(4) == 0 ? null : next(2) == 0;
      days[i] = next(5) == 0 ? null : (long) (7 * (1 + next(26)));
      created[i] = march1 + 60L * next(60 * 24 * 28);
      long at = created[i];
      for (int t = next(4); t > 0; --t) {
        at += 60L * (1 + next(60 * 24 * 3));
        touchLead.add(id[i]);
        touchMethod.add(methods[next(methods.length)]);
        touchAt.add(at);
      }
    }
    int m = touchLead.size();
    long[] touchSeconds = new long[m];
    for (int i = 0; i < m; ++i) touchSeconds[i] = touchAt.get(i);

    Column leadId = utf8("lead_id", id), modelColumn = utf8("model", model),
        channelColumn = utf8("channel", channel), statusColumn = utf8("status", status),
        priceColumn = bools("asked_price", askedPrice), daysColumn = int64("purchase_within_days", days),
        createdColumn = times("created_at", created);
    Column touchIds = utf8("lead_id", touchLead.toArray(new String[0])),
        touchTimes = times("at", touchSeconds),
        touchMethods = utf8("method", touchMethod.toArray(new String[0]));

    Leadkit lk = Leadkit.LK;
    System.out.println("leadkit " + lk.lk_version());
    PointerByReference ref = new PointerByReference();
    check(lk.lk_policy_from_preset("three_level", ref), "lk_policy_from_preset");
    Pointer policy = ref.getValue();
    check(lk.lk_cadence_from_policy(policy, ref), "lk_cadence_from_policy");
    Pointer cadence = ref.getValue();

    // Classify: the leads in, (lead_id, grade, rule) out.
    ArrowArrayStream leads = stream(n, leadId, modelColumn, channelColumn, statusColumn,
                                    priceColumn, daysColumn, createdColumn);
    ArrowArrayStream result = new ArrowArrayStream();
    check(lk.lk_classify_arrow(policy, leads.getPointer(), result.getPointer()),
          "lk_classify_arrow");
    result.read();
    TreeMap<String, Integer> perGrade = new TreeMap<>();
    StringBuilder perLead = new StringBuilder();
    ArrowArray batch = new ArrowArray();
    while (true) {
      check(call(result.get_next, result.getPointer(), batch.getPointer()), "get_next");
      batch.read();
      if (batch.release == null) break;
      ArrowArray ids = child(batch.children, 0), grades = child(batch.children, 1),
          rules = child(batch.children, 2);
      ArrowArray gradeNames = new ArrowArray(grades.dictionary),
          ruleNames = new ArrowArray(rules.dictionary);
      for (long row = 0; row < batch.length; ++row) {
        String grade = utf8At(gradeNames, grades.buffers.getPointer(8).getInt(4 * row));
        String rule = utf8At(ruleNames, rules.buffers.getPointer(8).getInt(4 * row));
        perGrade.merge(grade, 1, Integer::sum);
        perLead.append(utf8At(ids, row)).append('\t').append(grade).append('\t')
            .append(rule).append('\n');
      }
      release(batch.release, batch.getPointer());
    }
    release(result.release, result.getPointer());
    System.out.println("classified " + n + " leads: " + perGrade);

    // The KPIs by channel at 2025-04-01 00:00 UTC: leads and touches in, one row per group out.
    leads = stream(n, leadId, modelColumn, channelColumn, statusColumn, priceColumn, daysColumn,
                   createdColumn);
    ArrowArrayStream touches = stream(m, touchIds, touchTimes, touchMethods);
    result = new ArrowArrayStream();
    check(lk.lk_kpis_arrow(cadence, leads.getPointer(), touches.getPointer(), null,
                           new String[] {"channel"}, 1, asOf, result.getPointer()),
          "lk_kpis_arrow");
    result.read();
    ArrowSchema schema = new ArrowSchema();
    check(call(result.get_schema, result.getPointer(), schema.getPointer()), "get_schema");
    schema.read();
    List<String> names = new ArrayList<>(), formats = new ArrayList<>();
    for (int i = 0; i < schema.n_children; ++i) {
      ArrowSchema field = new ArrowSchema(schema.children.getPointer(8L * i));
      names.add(field.name.getString(0));
      formats.add(field.format.getString(0));
    }
    release(schema.release, schema.getPointer());
    System.out.println("KPIs by channel at 2025-04-01T00:00:00Z:");
    while (true) {
      check(call(result.get_next, result.getPointer(), batch.getPointer()), "get_next");
      batch.read();
      if (batch.release == null) break;
      for (long row = 0; row < batch.length; ++row) {
        ArrowArray key = child(batch.children, 0);
        StringBuilder line = new StringBuilder("channel=")
            .append(isNull(key, row) ? "null" : utf8At(key, row));
        for (int c = 1; c < names.size(); ++c) {
          ArrowArray column = child(batch.children, c);
          Pointer values = column.buffers.getPointer(8);
          line.append(' ').append(names.get(c)).append('=');
          if (formats.get(c).equals("l")) {
            line.append(values.getLong(8 * (column.offset + row)));
          } else {
            double v = values.getDouble(8 * (column.offset + row));
            line.append(Double.isNaN(v) ? "nan" : String.format(Locale.ROOT, "%.6f", v));
          }
        }
        System.out.println(line);
      }
      release(batch.release, batch.getPointer());
    }
    release(result.release, result.getPointer());
    lk.lk_cadence_free(cadence);
    lk.lk_policy_free(policy);

    if (args.length > 0) {
      Path out = Path.of(args[0]);
      Files.writeString(out.resolve("classify.tsv"), perLead.toString());
      StringBuilder json = new StringBuilder("[");
      for (int i = 0; i < n; ++i) {
        json.append(i == 0 ? "" : ",\n").append("{\"lead_id\": \"").append(id[i])
            .append("\", \"model\": ").append(model[i] == null ? "null" : "\"" + model[i] + "\"")
            .append(", \"channel\": ").append(channel[i] == null ? "null" : "\"" + channel[i] + "\"")
            .append(", \"status\": \"").append(status[i])
            .append("\", \"asked_price\": ").append(askedPrice[i])
            .append(", \"purchase_within_days\": ").append(days[i])
            .append(", \"created_at\": ").append(created[i]).append('}');
      }
      Files.writeString(out.resolve("leads.json"), json.append("]\n").toString());
      json = new StringBuilder("[");
      for (int i = 0; i < m; ++i) {
        json.append(i == 0 ? "" : ",\n").append("{\"lead_id\": \"").append(touchLead.get(i))
            .append("\", \"at\": ").append(touchAt.get(i)).append(", \"method\": \"")
            .append(touchMethod.get(i)).append("\"}");
      }
      Files.writeString(out.resolve("touches.json"), json.append("]\n").toString());
    }
  }
}

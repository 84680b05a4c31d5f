package org.jgan.engine.internal.folder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.jgan.engine.internal.TfEventReader;
import org.jgan.engine.internal.TfEventReader.Item;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TensorBoard event files, decoded by an independent reader (Python's protobuf, its own CRC-32C). */
class EventFileTest {

    private static byte[] png(int width, int height, int type) throws Exception {
        BufferedImage img = new BufferedImage(width, height, type);
        for (int x = 0; x < width; x++) {
            img.setRGB(x, x % height, 0xff336699);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return out.toByteArray();
    }

    @Test
    void scalarsAndImagesInCheckedRecordsThatAnIndependentReaderDecodes(@TempDir Path dir) throws Exception {
        byte[] grey = png(30, 20, BufferedImage.TYPE_BYTE_GRAY);
        byte[] rgb = png(7, 5, BufferedImage.TYPE_INT_RGB);
        Path file;
        try (EventFile events = EventFile.create(dir, 0)) {
            file = events.file();
            Map<String, Double> first = new LinkedHashMap<>();
            first.put("loss/d_loss", 1.386294361);
            first.put("loss/g_r1", Double.NaN); // a lazy term not computed at this step: left out
            first.put("lr/discriminator", 2e-4);
            events.scalars(1, first);
            events.scalars(2, Map.of("loss/d_loss", -3.5e-7));
            events.scalars(3, Map.of("loss/g_r1", Double.NaN)); // nothing to write: no record
            events.image(1000, "samples", grey);
            events.image(1000, "scatter", rgb);
        }
        assertTrue(file.getFileName().toString().startsWith("events.out.tfevents."), file.toString());
        List<Item> items = TfEventReader.read(file);
        assertEquals("brain.Event:2", items.get(0).tag());
        assertEquals(List.of("version", "scalar", "scalar", "scalar", "image", "image"),
                items.stream().map(Item::kind).toList());
        assertEquals(List.of(0L, 1L, 1L, 2L, 1000L, 1000L), items.stream().map(Item::step).toList());
        assertEquals("loss/d_loss", items.get(1).tag());
        assertEquals((double) (float) 1.386294361, items.get(1).value(), 0, "float32, as TensorBoard keeps it");
        assertEquals("lr/discriminator", items.get(2).tag());
        assertEquals((double) 2e-4f, items.get(2).value(), 0);
        assertEquals((double) -3.5e-7f, items.get(3).value(), 0);
        // height, width, colorspace (1 grey, 3 RGB) and the PNG bytes unchanged
        assertEquals(List.of("20", "30", "1", sha256(grey)), List.of(items.get(4).fields()));
        assertEquals("samples", items.get(4).tag());
        assertEquals(List.of("5", "7", "3", sha256(rgb)), List.of(items.get(5).fields()));
    }

    @Test
    void aResumedRunStartsItsFileWithASessionStartAfterTheCheckpoint(@TempDir Path dir) throws Exception {
        Path first;
        Path second;
        try (EventFile a = EventFile.create(dir, 0)) {
            first = a.file();
            a.scalars(500, Map.of("loss/d_loss", 0.5));
        }
        // the same process, the same second: a second file beside the first, not over it
        try (EventFile b = EventFile.create(dir, 400)) {
            second = b.file();
            b.scalars(401, Map.of("loss/d_loss", 0.25));
        }
        assertTrue(!first.equals(second) && Files.size(first) > 0, first + " " + second);
        List<Item> items = TfEventReader.read(second);
        assertEquals(List.of("version", "session", "scalar"), items.stream().map(Item::kind).toList());
        // TensorBoard drops the earlier file's steps from 401 on (they are trained again) when it reads START
        assertEquals(401, items.get(1).step());
        assertEquals("1", items.get(1).fields()[0], "SessionLog.START");
    }

    @Test
    void aCorruptedByteIsCaughtByTheReadersCrc(@TempDir Path dir) throws Exception {
        Path file;
        try (EventFile events = EventFile.create(dir, 0)) {
            file = events.file();
            events.scalars(1, Map.of("loss/d_loss", 0.5));
        }
        byte[] b = Files.readAllBytes(file);
        b[b.length - 6] ^= 1; // inside the last record's data
        Files.write(file, b);
        AssertionError e = assertThrows(AssertionError.class, () -> TfEventReader.read(file));
        assertTrue(e.getMessage().contains("record 1: the data's CRC does not match"), e.getMessage());
    }

    @Test
    void aFileThatIsNotAPngIsRefusedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> EventFile.pngHeader("GIF89a.....................".getBytes()));
        assertEquals("not a PNG image (27 bytes)", e.getMessage());
    }

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}

#!/usr/bin/env python3
"""An independent reader of TensorBoard event files, for the engine's tests.

Reads every TFRecord of the file given, checks both masked CRC-32C of each record (computed here bit by bit, not
with the writer's code), decodes each record as a tensorboard.Event with Debian's python3-protobuf (message types
built here from descriptors that follow tensorboard/compat/proto/event.proto and summary.proto), and prints one line
per item:

    version <file_version>
    session <step> <status>
    scalar <step> <tag> <value, repr of the float32 widened to float64>
    image <step> <tag> <height> <width> <colorspace> <sha256 of the encoded image>

Exits 1 with one line on stderr naming the record at the first framing or CRC error.
"""
import hashlib
import struct
import sys

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory


def message_class(desc):
    # protobuf 4.21 (Debian 12) has MessageFactory.GetPrototype; later versions GetMessageClass
    if hasattr(message_factory, "GetMessageClass"):
        return message_factory.GetMessageClass(desc)
    return message_factory.MessageFactory().GetPrototype(desc)


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def masked(crc):
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


F = descriptor_pb2.FieldDescriptorProto


def field(msg, name, number, ftype, label=F.LABEL_OPTIONAL, type_name=None):
    f = msg.field.add()
    f.name, f.number, f.type, f.label = name, number, ftype, label
    if type_name:
        f.type_name = type_name


def build_event_class():
    fd = descriptor_pb2.FileDescriptorProto()
    fd.name = "jgan_test_event.proto"
    fd.package = "tensorboard"
    fd.syntax = "proto3"
    summary = fd.message_type.add()
    summary.name = "Summary"
    image = summary.nested_type.add()
    image.name = "Image"
    field(image, "height", 1, F.TYPE_INT32)
    field(image, "width", 2, F.TYPE_INT32)
    field(image, "colorspace", 3, F.TYPE_INT32)
    field(image, "encoded_image_string", 4, F.TYPE_BYTES)
    value = summary.nested_type.add()
    value.name = "Value"
    field(value, "tag", 1, F.TYPE_STRING)
    field(value, "simple_value", 2, F.TYPE_FLOAT)
    field(value, "image", 4, F.TYPE_MESSAGE, type_name=".tensorboard.Summary.Image")
    field(summary, "value", 1, F.TYPE_MESSAGE, F.LABEL_REPEATED, ".tensorboard.Summary.Value")
    session = fd.message_type.add()
    session.name = "SessionLog"
    field(session, "status", 1, F.TYPE_INT32)
    field(session, "checkpoint_path", 2, F.TYPE_STRING)
    field(session, "msg", 3, F.TYPE_STRING)
    event = fd.message_type.add()
    event.name = "Event"
    field(event, "wall_time", 1, F.TYPE_DOUBLE)
    field(event, "step", 2, F.TYPE_INT64)
    field(event, "file_version", 3, F.TYPE_STRING)
    field(event, "summary", 5, F.TYPE_MESSAGE, type_name=".tensorboard.Summary")
    field(event, "session_log", 7, F.TYPE_MESSAGE, type_name=".tensorboard.SessionLog")
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fd)
    return message_class(pool.FindMessageTypeByName("tensorboard.Event"))


def main(path):
    Event = build_event_class()
    data = open(path, "rb").read()
    pos, n = 0, 0
    while pos < len(data):
        if pos + 12 > len(data):
            sys.exit("record %d: %d bytes left, a header needs 12" % (n, len(data) - pos))
        header = data[pos:pos + 8]
        (length,) = struct.unpack("<Q", header)
        (length_crc,) = struct.unpack("<I", data[pos + 8:pos + 12])
        if masked(crc32c(header)) != length_crc:
            sys.exit("record %d: the length's CRC does not match" % n)
        body = data[pos + 12:pos + 12 + length]
        if len(body) != length or pos + 16 + length > len(data):
            sys.exit("record %d: cut short" % n)
        (body_crc,) = struct.unpack("<I", data[pos + 12 + length:pos + 16 + length])
        if masked(crc32c(body)) != body_crc:
            sys.exit("record %d: the data's CRC does not match" % n)
        pos += 16 + length
        n += 1
        e = Event()
        e.ParseFromString(body)
        if e.wall_time <= 0:
            sys.exit("record %d: no wall time" % n)
        if e.file_version:
            print("version", e.file_version)
        if e.HasField("session_log"):
            print("session", e.step, e.session_log.status)
        for v in e.summary.value:
            if v.HasField("image"):
                i = v.image
                print("image", e.step, v.tag, i.height, i.width, i.colorspace,
                      hashlib.sha256(i.encoded_image_string).hexdigest())
            else:
                print("scalar", e.step, v.tag, repr(float(v.simple_value)))


if __name__ == "__main__":
    main(sys.argv[1])

// PS/2 keyboard (IRQ 1), US layout, feeding the same console input as the serial port.
#pragma once
namespace quartz {
void keyboard_init();  // after the IDT and PIC are ready
}

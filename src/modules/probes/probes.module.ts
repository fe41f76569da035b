import { Module } from '@nestjs/common';
import { ProbeConsumer } from './probe.consumer.js';
import { ProbesController } from './probes.controller.js';
import { ProbesService } from './probes.service.js';

@Module({ controllers: [ProbesController], providers: [ProbesService, ProbeConsumer] })
export class ProbesModule {}

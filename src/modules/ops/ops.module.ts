import { Module } from '@nestjs/common';
import { DeadLetterReplays } from './dead-letter-replays.service.js';
import { DeadLettersController } from './dead-letters.controller.js';

@Module({ controllers: [DeadLettersController], providers: [DeadLetterReplays] })
export class OpsModule {}
